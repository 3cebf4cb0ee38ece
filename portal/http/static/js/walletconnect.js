// WalletConnect v2 (loaded only when the holder asks for it): pair by QR code or deep link, then ask the
// phone wallet (e.g. the Tangem app) to sign. The Sign client is the vendored bundle, served from here.
import { base58, solanaTransactionAnswer, hex, utf8 } from "./encoding.js";
import { WalletError } from "./wallets/evm.js";

const SOLANA_MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";

export async function connectAndSign(section, challenge) {
  const status = section.querySelector("[data-role=status]");
  const { SignClient, qrSvg } = await import(section.dataset.bundle);
  status.textContent = "Connecting to WalletConnect…";
  const client = await SignClient.init({
    projectId: challenge.walletconnect_project_id,
    metadata: { name: "Token migration portal", description: "Prove you own a snapshot address",
                url: location.origin, icons: [] },
  });
  const evm = challenge.chain === "evm";
  const chain = evm ? `eip155:${challenge.evm_chain_id}` : SOLANA_MAINNET;
  const namespaces = evm
    ? { eip155: { chains: [chain], methods: ["personal_sign", "eth_signTypedData_v4"], events: [] } }
    : { solana: { chains: [chain], methods: ["solana_signMessage", "solana_signTransaction"], events: [] } };
  const { uri, approval } = await client.connect({ optionalNamespaces: namespaces });
  section.querySelector("[data-role=qr]").innerHTML = await qrSvg(uri, { type: "svg", margin: 2 });
  const link = section.querySelector("[data-role=deeplink]");
  link.href = uri;
  link.hidden = false;
  status.textContent = "Scan the code with your wallet app, then approve the connection.";
  const session = await approval();
  const accounts = Object.values(session.namespaces).flatMap((ns) => ns.accounts).map((a) => a.split(":")[2]);
  const account = accounts.find((a) => (evm ? a.toLowerCase() === challenge.address.toLowerCase() : a === challenge.address));
  if (!account) {
    throw new WalletError(`The wallet app connected ${accounts[0] || "no account"}, not the snapshot address ` +
      `${challenge.address}. Choose that address in the app, then try again.`);
  }
  status.textContent = "Connected. Check the text in your wallet app, then approve.";
  const request = (method, params) => client.request({ topic: session.topic, chainId: chain, request: { method, params } });
  if (challenge.wallet_request === "typed_data") return ["signature", await request("eth_signTypedData_v4", [account, JSON.stringify(challenge.typed_data)])];
  if (evm) return ["signature", await request("personal_sign", [hex(utf8(challenge.message)), account])];
  if (challenge.wallet_request === "solana_transaction") {
    return solanaTransactionAnswer(await request("solana_signTransaction", { transaction: challenge.unsigned_transaction }));
  }
  const answer = await request("solana_signMessage", { message: base58(utf8(challenge.message)), pubkey: account });
  return ["signature", answer.signature];
}
