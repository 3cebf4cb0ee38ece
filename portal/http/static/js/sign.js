// The sign page: find the wallets in this browser (or WalletConnect), sign the challenge, post the proof
// through the same form a pasted signature uses, so the server answers both in one way.
// What to ask the wallet for comes from the page (challenge-data: "chain" and "wallet_request", from the
// proof-method registry), never from a switch on method names here.
import { findEvmWallets, WalletError } from "./wallets/evm.js";
import { findSolanaWallets } from "./wallets/solana.js";

const challenge = JSON.parse(document.getElementById("challenge-data").textContent);
const form = document.querySelector("[data-role=proof-form]");
const isEvm = challenge.chain === "evm";

export function submitProof([kind, value]) {
  form.elements.proof.value = value;
  form.querySelector("[data-role=proof-kind]").value = kind;
  form.requestSubmit();
}

export function explain(error) {
  if (error instanceof WalletError) return error.message;
  if (error && (error.code === 4001 || /reject|denied|cancel/i.test(error.message || ""))) {
    return "You declined in your wallet, so nothing was signed. Try again when you are ready, or use another way below.";
  }
  return "Your wallet could not sign the message. Try again, or sign somewhere else and paste the signature below.";
}

const browser = document.querySelector("[data-module=browser-sign]");
if (browser) {
  const list = browser.querySelector("[data-role=wallets]");
  const status = browser.querySelector("[data-role=status]");
  browser.hidden = false;
  status.textContent = "Looking for wallets in this browser…";
  let found = 0;
  const addWallet = (wallet) => {
    found += 1;
    status.textContent = "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = `Sign with ${wallet.name}`;
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = `Waiting for ${wallet.name}: check the text it shows, then approve.`;
      try {
        const proof = await wallet.sign(challenge);
        status.textContent = "Signed. Sending your proof…";
        submitProof(proof);
      } catch (error) {
        status.textContent = explain(error);
        button.disabled = false;
      }
    });
    list.append(button);
  };
  (isEvm ? findEvmWallets : findSolanaWallets)(addWallet);
  setTimeout(() => {
    if (found === 0) status.textContent = "No wallet was found in this browser. Use another way below.";
  }, 600);
}

const walletconnect = document.querySelector("[data-module=walletconnect-sign]");
if (walletconnect && challenge.walletconnect_project_id) {
  walletconnect.hidden = false;
  const start = walletconnect.querySelector("[data-role=start]");
  start.addEventListener("click", async () => {
    start.disabled = true;
    const { connectAndSign } = await import("./walletconnect.js");
    try {
      submitProof(await connectAndSign(walletconnect, challenge));
    } catch (error) {
      walletconnect.querySelector("[data-role=status]").textContent = explain(error);
      start.disabled = false;
    }
  });
}
