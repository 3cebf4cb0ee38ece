// Solana wallets in this browser: the Wallet Standard, and the legacy window.solana when none registers.
import { base58, fromBase64, solanaTransactionAnswer, transactionMessage, utf8 } from "../encoding.js";
import { WalletError } from "./evm.js";

export function findSolanaWallets(onWallet) {
  const seen = new Set();
  const register = (...wallets) => {
    for (const wallet of wallets) {
      if (seen.has(wallet) || !wallet.features?.["standard:connect"]) continue;
      seen.add(wallet);
      onWallet({ name: wallet.name, sign: (challenge) => signStandard(wallet, challenge) });
    }
    return () => {};
  };
  window.addEventListener("wallet-standard:register-wallet", (event) => event.detail({ register }));
  window.dispatchEvent(new CustomEvent("wallet-standard:app-ready", { detail: { register } }));
  setTimeout(() => {
    if (seen.size === 0 && window.solana) {
      onWallet({ name: "your Solana wallet", sign: (challenge) => signLegacy(window.solana, challenge) });
    }
  }, 400);
}

function wrongAccount(found, challenge) {
  return new WalletError(`Your wallet is connected to ${found || "no account"}, not the snapshot address ` +
    `${challenge.address}. Switch to that account in your wallet, then try again.`);
}

async function signStandard(wallet, challenge) {
  const { accounts } = await wallet.features["standard:connect"].connect();
  const account = accounts.find((a) => a.address === challenge.address);
  if (!account) throw wrongAccount(accounts[0]?.address, challenge);
  if (challenge.wallet_request === "solana_transaction") {
    const feature = wallet.features["solana:signTransaction"];
    if (!feature) throw new WalletError(`${wallet.name} cannot sign transactions. Go back and choose another kind of wallet.`);
    const [answer] = await feature.signTransaction({ account, transaction: fromBase64(challenge.unsigned_transaction) });
    return solanaTransactionAnswer(answer);
  }
  const feature = wallet.features["solana:signMessage"];
  if (!feature) throw new WalletError(`${wallet.name} cannot sign messages. Use another way below.`);
  const [answer] = await feature.signMessage({ account, message: utf8(challenge.message) });
  return ["signature", base58(answer.signature)];
}

async function signLegacy(provider, challenge) {
  const connected = await provider.connect();
  const address = (connected?.publicKey || provider.publicKey)?.toBase58();
  if (address !== challenge.address) throw wrongAccount(address, challenge);
  if (challenge.wallet_request === "solana_transaction") {
    const message = transactionMessage(fromBase64(challenge.unsigned_transaction));
    const answer = await provider.request({ method: "signTransaction", params: { message: base58(message) } });
    return solanaTransactionAnswer(answer);
  }
  const { signature } = await provider.signMessage(utf8(challenge.message), "utf8");
  return ["signature", base58(signature)];
}
