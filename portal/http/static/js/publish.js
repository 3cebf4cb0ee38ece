// The console's publish page: each signer signs the statement with their own EIP-6963 wallet
// (personal_sign, the EIP-191 signature `portal policy sign` makes), and the signature goes to the
// server through the same form a pasted one uses, so the server checks both in one way.
import { hex, utf8 } from "./encoding.js";

const data = JSON.parse(document.getElementById("publish-data").textContent);
const module = document.querySelector("[data-module=wallet-sign]");
const form = document.querySelector("[data-role=signature-form]");
const lower = (address) => address.toLowerCase();
const signers = new Set(data.signers.map(lower));
const signed = new Set(data.signed.map(lower));

// The account to sign with: one of the wallet's accounts that is a root signer who has not signed yet.
function chooseAccount(accounts) {
  const waiting = accounts.find((a) => signers.has(lower(a)) && !signed.has(lower(a)));
  if (waiting) return waiting;
  if (accounts.some((a) => signed.has(lower(a)))) {
    throw new Error(`${accounts.find((a) => signed.has(lower(a)))} has already signed. The next signer signs ` +
      "with their own wallet.");
  }
  throw new Error(`Your wallet is connected to ${accounts[0] || "no account"}, which is not a signer of trust ` +
    `root version ${data.root_version}. Switch to your signing key's account in your wallet, then try again.`);
}

function explain(error) {
  if (error && (error.code === 4001 || /reject|denied|cancel/i.test(error.message || ""))) {
    return "You declined in your wallet, so nothing was signed.";
  }
  return error && error.message ? error.message : "Your wallet could not sign. Paste a signature made elsewhere below.";
}

async function sign(provider) {
  const accounts = await provider.request({ method: "eth_requestAccounts" });
  const account = chooseAccount(accounts);
  return provider.request({ method: "personal_sign", params: [hex(utf8(data.statement)), account] });
}

if (module && form) {
  const list = module.querySelector("[data-role=wallets]");
  const status = module.querySelector("[data-role=status]");
  const seen = new Set();
  module.hidden = false;
  status.textContent = "Looking for wallets in this browser…";
  const addWallet = (name, provider) => {
    status.textContent = "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = `Sign with ${name}`;
    button.addEventListener("click", async () => {
      button.disabled = true;
      status.textContent = `Waiting for ${name}: check that it shows the statement above, then approve.`;
      try {
        form.elements.signature.value = await sign(provider);
        status.textContent = "Signed. Sending the signature…";
        form.requestSubmit();
      } catch (error) {
        status.textContent = explain(error);
        button.disabled = false;
      }
    });
    list.append(button);
  };
  window.addEventListener("eip6963:announceProvider", (event) => {
    const { info, provider } = event.detail;
    if (seen.has(info.uuid)) return;
    seen.add(info.uuid);
    addWallet(info.name, provider);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  setTimeout(() => {
    if (seen.size === 0 && window.ethereum) {
      seen.add("window.ethereum");
      addWallet("your browser wallet", window.ethereum);
    }
    if (seen.size === 0) status.textContent = "No wallet was found in this browser. Paste a signature made elsewhere below.";
  }, 400);
}
