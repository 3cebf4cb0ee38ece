// EVM wallets in this browser: EIP-6963 announcements, and window.ethereum when none announces.
import { hex, utf8 } from "../encoding.js";

export function findEvmWallets(onWallet) {
  const seen = new Set();
  window.addEventListener("eip6963:announceProvider", (event) => {
    const { info, provider } = event.detail;
    if (seen.has(info.uuid)) return;
    seen.add(info.uuid);
    onWallet({ name: info.name, sign: (challenge) => sign(provider, challenge) });
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  setTimeout(() => {
    if (seen.size === 0 && window.ethereum) {
      onWallet({ name: "your browser wallet", sign: (challenge) => sign(window.ethereum, challenge) });
    }
  }, 400);
}

async function sign(provider, challenge) {
  const accounts = await provider.request({ method: "eth_requestAccounts" });
  const account = accounts.find((a) => a.toLowerCase() === challenge.address.toLowerCase());
  if (!account) {
    throw new WalletError(`Your wallet is connected to ${accounts[0] || "no account"}, not the snapshot address ` +
      `${challenge.address}. Switch to that account in your wallet, then try again.`);
  }
  if (challenge.wallet_request === "typed_data") {
    const typed = JSON.stringify(challenge.typed_data);
    return ["signature", await provider.request({ method: "eth_signTypedData_v4", params: [account, typed] })];
  }
  return ["signature", await provider.request({ method: "personal_sign", params: [hex(utf8(challenge.message)), account] })];
}

export class WalletError extends Error {}
