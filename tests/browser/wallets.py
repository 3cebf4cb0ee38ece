"""Test wallets injected into the page, backed by real keys held in Python.

Each wallet's page side is a small init script (``add_init_script``) speaking the real discovery
protocol (EIP-6963, the Wallet Standard, or the legacy ``window.solana``); signing crosses into
Python through ``expose_function``, where eth-account or PyNaCl signs with a demo key. Nothing is
faked about the signature: the server verifies it exactly as it would a hardware wallet's.
The Tangem-shaped wallet answers ``signTransaction`` with the signature alone, as the Tangem app
answers WalletConnect's ``solana_signTransaction``.
"""

from __future__ import annotations

import base64
import hashlib
import json

import base58
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from nacl.signing import SigningKey

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
ICON = "data:image/svg+xml;base64," + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()


def evm_account(index: int):
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def solana_key(index: int) -> SigningKey:
    return SigningKey(hashlib.sha256(f"migration-portal DEMO solana key {index}".encode()).digest())


def solana_address(key: SigningKey) -> str:
    return base58.b58encode(bytes(key.verify_key)).decode()


_EVM_SCRIPT = """
(() => {
  const address = %(address)s;
  const provider = {
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
      if (method === "eth_chainId") return "0x1";
      if (method === "personal_sign" || method === "eth_signTypedData_v4") {
        return window.__testEvmSign(method, JSON.stringify(params));
      }
      throw Object.assign(new Error("unsupported " + method), { code: 4200 });
    },
  };
  const info = { uuid: "8f5b7c1e-0000-4000-8000-000000000001", name: %(name)s, icon: %(icon)s,
                 rdns: "test.portal.evm" };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider",
    { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


def install_evm_wallet(context, account, *, name: str = "Test EVM Wallet") -> list[tuple[str, str]]:
    """An EIP-6963 wallet for ``account``; returns the log of (method, signature) it signed."""
    signed: list[tuple[str, str]] = []

    def sign(method: str, params_json: str) -> str:
        params = json.loads(params_json)
        if method == "personal_sign":
            message = encode_defunct(hexstr=params[0])
        else:
            message = encode_typed_data(full_message=json.loads(params[1]))
        signature = "0x" + bytes(account.sign_message(message).signature).hex()
        signed.append((method, signature))
        return signature

    context.expose_function("__testEvmSign", sign)
    context.add_init_script(_EVM_SCRIPT % {"address": json.dumps(account.address), "name": json.dumps(name),
                                           "icon": json.dumps(ICON)})
    return signed


_STANDARD_SCRIPT = """
(() => {
  const address = %(address)s;
  const toBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const toB64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const account = { address, publicKey: toBytes(%(public_key)s), chains: ["solana:mainnet"],
                    features: ["solana:signMessage", "solana:signTransaction"] };
  const wallet = {
    version: "1.0.0", name: %(name)s, icon: %(icon)s, chains: ["solana:mainnet"], accounts: [account],
    features: {
      "standard:connect": { version: "1.0.0", connect: async () => ({ accounts: [account] }) },
      "standard:events": { version: "1.0.0", on: () => () => {} },
      "solana:signMessage": { version: "1.0.0", signMessage: async (...inputs) => Promise.all(inputs.map(
        async ({ message }) => ({ signedMessage: message,
                                  signature: toBytes(await window.__testSolanaSign("message", toB64(message))) }))) },
      "solana:signTransaction": { version: "1.0.0", supportedTransactionVersions: ["legacy"],
        signTransaction: async (...inputs) => Promise.all(inputs.map(async ({ transaction }) => (
          { signedTransaction: toBytes(await window.__testSolanaSign("transaction", toB64(transaction))) }))) },
    },
  };
  const callback = ({ register }) => register(wallet);
  window.addEventListener("wallet-standard:app-ready", ({ detail: api }) => callback(api));
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: callback }));
})();
"""


def _sign_transaction_wire(key: SigningKey, wire: bytes) -> bytes:
    """Sign a one-signer legacy transaction's message and put the signature in its slot."""
    assert wire[0] == 1, "one signer expected"
    message = wire[65:]
    return wire[:1] + key.sign(message).signature + message


def install_standard_solana_wallet(context, key: SigningKey, *, name: str = "Test Solana Wallet") -> list[str]:
    """A Wallet Standard wallet (signMessage, signTransaction returning the signed transaction)."""
    signed: list[str] = []

    def sign(kind: str, payload_b64: str) -> str:
        payload = base64.b64decode(payload_b64)
        signed.append(kind)
        out = key.sign(payload).signature if kind == "message" else _sign_transaction_wire(key, payload)
        return base64.b64encode(out).decode()

    context.expose_function("__testSolanaSign", sign)
    context.add_init_script(_STANDARD_SCRIPT % {
        "address": json.dumps(solana_address(key)), "name": json.dumps(name), "icon": json.dumps(ICON),
        "public_key": json.dumps(base64.b64encode(bytes(key.verify_key)).decode())})
    return signed


_TANGEM_SCRIPT = """
(() => {
  const address = %(address)s;
  const publicKey = { toBase58: () => address, toString: () => address };
  window.solana = {
    isTangemShaped: true, publicKey,
    connect: async () => ({ publicKey }),
    signMessage: async (message) => { throw new Error("this test wallet signs transactions only"); },
    // Like the Tangem app's solana_signTransaction over WalletConnect: the answer is the signature alone.
    request: async ({ method, params }) => {
      if (method !== "signTransaction") throw new Error("unsupported " + method);
      return { signature: await window.__testTangemSign(params.message) };
    },
  };
})();
"""


def install_tangem_shaped_wallet(context, key: SigningKey) -> list[str]:
    """A legacy ``window.solana`` whose signTransaction returns only ``{signature}`` (base58)."""
    signed: list[str] = []

    def sign(message_b58: str) -> str:
        signature = base58.b58encode(key.sign(base58.b58decode(message_b58)).signature).decode()
        signed.append(signature)
        return signature

    context.expose_function("__testTangemSign", sign)
    context.add_init_script(_TANGEM_SCRIPT % {"address": json.dumps(solana_address(key))})
    return signed
