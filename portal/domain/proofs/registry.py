"""The one list of proof methods: what each is, which node it needs, how it is proven and worded.

Everything that depends on a method reads it here: the ``Method`` enum of the API, the methods a
chain accepts, which need a node, the proof fields each takes (and the dispatch to its verifier),
the message styles it allows, what the challenge carries beside the text, the holder's and staff's
words for it, whether it flags a contract wallet, and what the sign page's JS asks the wallet for.
Adding a method is one ``ProofMethod`` below, its verifier module and its tests.

Invariants: names are unique; every method has at least one proof field; a method whose verifier asks
a node names that node (``node``), so issuing refuses it up front on a server without that node, and
verifying runs it off the event loop. The order of ``METHODS`` is the order of the API's enum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from portal.domain.proofs import eip191, eip712, eip1271, safe, solana, solana_onchain, solana_tx, transaction
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, MessageStyle, ProvenSigner
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.errors import InvalidInputError

Chain = Literal["evm", "solana"]
Node = Literal["none", "evm", "solana"]
ProofField = Literal["signature", "tx_hash", "signed_transaction"]
PROOF_FIELDS: tuple[ProofField, ...] = ("signature", "tx_hash", "signed_transaction")
# What the sign page's JS asks a wallet for (``static/js``): the page carries it, the JS never names methods.
WalletRequest = Literal["personal_sign", "typed_data", "solana_message", "solana_transaction"]
# Why a message style other than the standard one exists, for the error that refuses it.
STYLE_PURPOSE: dict[str, str] = {"one_line": "a Ledger clear-signs one printable line"}
SIGNED_TRANSACTION_MIN_CHARS = 133  # longer than any 64-byte signature in hex or base58: a whole transaction


@dataclass(frozen=True, slots=True)
class VerifyEnv:
    """What a verifier may need beyond the challenge and the proof: the nodes (``None`` when not
    configured: the verifier raises ``RpcUnavailableError``), the confirmations an EVM transaction
    needs, and the Solana off-chain application domain (derived from ``PORTAL_PUBLIC_HOST``)."""

    evm_node: EvmChain | None = None
    solana_node: SolanaChain | None = None
    min_confirmations: int = 1
    app_domain: bytes = b"\0" * 32


Verifier = Callable[[ChallengeFacts, str, VerifyEnv], ProvenSigner]


@dataclass(frozen=True, slots=True)
class HolderWords:
    """How the pages name and explain the method to a holder (GOV.UK manner: plain, short, active)."""

    name: str
    explanation: str
    proof_label: str
    proof_hint: str
    commands: tuple[tuple[str, str], ...] = ()  # (label, command) to sign challenge.txt elsewhere


@dataclass(frozen=True, slots=True)
class ProofMethod:
    """One proof method. ``verifiers`` maps each proof field the method takes to its verifier, in the
    order the refusal of a wrong field names them; ``typed_data``, ``unsigned_transaction`` and
    ``nonce_line`` say what the challenge carries beside the text."""

    name: str
    chain: Chain
    node: Node
    verifiers: Mapping[ProofField, Verifier]
    holder: HolderWords
    staff: str
    message_styles: tuple[MessageStyle, ...] = ("standard",)
    typed_data: bool = False
    unsigned_transaction: bool = False
    nonce_line: bool = False
    contract_wallet: bool = False
    wallet_request: WalletRequest | None = None

    @property
    def proof_fields(self) -> tuple[ProofField, ...]:
        return tuple(self.verifiers)

    def field_of(self, text: str) -> ProofField:
        """Which proof field pasted ``text`` is (when the page's JS did not say): a signed transaction
        is far longer than a 64-byte signature."""
        fields = self.proof_fields
        if "signed_transaction" in fields and len(text) >= SIGNED_TRANSACTION_MIN_CHARS:
            return "signed_transaction"
        return "signature" if "signature" in fields else fields[0]

    def page_data(self) -> dict[str, Any]:
        """What the sign page's JS needs to sign with a wallet, carried in its ``challenge-data`` JSON."""
        return {"chain": self.chain, "wallet_request": self.wallet_request}


_SIGNS_TEXT = ("Your wallet signs a short text that names your snapshot address, your destination and today's date. "
               "A signature is not a transaction: it moves nothing and costs nothing.")
_PASTE_SIGNATURE = ("Signature", "Paste the whole signature your wallet or tool printed (0x… or base58).")
_FOUNDRY_LEDGER = "Foundry, with a Ledger (use --trezor for a Trezor)"
_CAST_SIGN_TEXT = ((_FOUNDRY_LEDGER, 'cast wallet sign --ledger "$(cat challenge.txt)"'),
                   ("Foundry, with a keystore file (it asks for the keystore's password)",
                    'cast wallet sign --keystore path/to/keystore.json "$(cat challenge.txt)"'))
# No command that has the holder type a private key: the pages must never teach that it is a normal step.

METHODS: tuple[ProofMethod, ...] = (
    ProofMethod(
        "eip191", "evm", "none", {"signature": lambda facts, text, env: eip191.verify(facts, text)},
        HolderWords("Sign a message (personal_sign)", _SIGNS_TEXT, *_PASTE_SIGNATURE, commands=_CAST_SIGN_TEXT),
        staff="EIP-191 signed message (personal_sign)", wallet_request="personal_sign"),
    ProofMethod(
        "eip712", "evm", "none", {"signature": lambda facts, text, env: eip712.verify(facts, text)},
        HolderWords("Sign structured data (EIP-712)",
                    "Your device shows each field of the message (your snapshot address, your destination, the "
                    "dates) before you approve it. It moves nothing and costs nothing.", *_PASTE_SIGNATURE,
                    commands=((_FOUNDRY_LEDGER, "cast wallet sign --ledger --data --from-file typed-data.json"),)),
        staff="EIP-712 signed typed data", typed_data=True, wallet_request="typed_data"),
    ProofMethod(
        "eip1271", "evm", "evm",
        {"signature": lambda facts, text, env: eip1271.verify(facts, text, node=env.evm_node)},
        HolderWords("Sign as an owner of a contract wallet (EIP-1271)",
                    "An owner of the contract wallet signs the text. The portal then asks the contract, on chain, "
                    "whether that signature speaks for it. Nothing is sent and nothing is spent.", *_PASTE_SIGNATURE,
                    commands=_CAST_SIGN_TEXT),
        staff="EIP-1271 contract wallet signature", contract_wallet=True, wallet_request="personal_sign"),
    ProofMethod(  # issue 26: owners sign one at a time (POST /v1/challenges/{id}/signatures, safe_gather), or at once
        "safe", "evm", "evm", {"signature": lambda facts, text, env: safe.verify(facts, text, node=env.evm_node)},
        HolderWords("Sign with the owners of a Safe",
                    "The Safe's owners sign, one at a time, over up to a week. When enough of them have signed, the "
                    "portal asks the Safe, on chain, whether their signatures speak for it. Nothing is sent and "
                    "nothing is spent.", "Safe signature",
                    "Paste the whole signature Safe{Wallet} shows once enough owners have signed (0x…), or 0x if "
                    "the Safe signed the message on chain."),
        staff="Safe multisig: owners' signatures checked by the Safe at a recorded block", contract_wallet=True,
        wallet_request="typed_data"),  # each owner's wallet signs the challenge's typed_data (the SafeMessage)
    ProofMethod(
        "solana", "solana", "none",
        {"signature": lambda facts, text, env: solana.verify(facts, text, app_domain=env.app_domain)},
        HolderWords("Sign a message", _SIGNS_TEXT, *_PASTE_SIGNATURE, commands=(
            ("Solana CLI, with a Ledger", 'solana sign-offchain-message -k usb://ledger "$(cat challenge.txt)"'),
            ("Solana CLI, with a keypair file",
             'solana sign-offchain-message -k ~/.config/solana/id.json "$(cat challenge.txt)"'))),
        staff="Solana off-chain message signature", message_styles=("standard", "one_line"),
        wallet_request="solana_message"),
    ProofMethod(
        "solana_tx", "solana", "none",
        {"signed_transaction": lambda facts, text, env: solana_tx.verify(facts, text),
         "signature": lambda facts, text, env: solana_tx.verify_signature(facts, text)},
        HolderWords("Sign a transaction that is never sent",
                    "Your wallet signs a transaction whose only content is a memo naming your snapshot address and "
                    "your destination. The portal never sends it, so it moves nothing and costs nothing.",
                    "Signature or signed transaction",
                    "Paste the signature (base58) or the whole signed transaction (base64) your wallet returned."),
        staff="Solana transaction, signed and never sent", unsigned_transaction=True, nonce_line=True,
        wallet_request="solana_transaction"),
    ProofMethod(
        "solana_onchain", "solana", "solana",
        {"tx_hash": lambda facts, text, env: solana_onchain.verify(facts, text, node=env.solana_node)},
        HolderWords("Send a transaction that moves nothing",
                    "You send a transaction from the snapshot address, for example through your multisig, carrying "
                    "a code in a memo. It costs a small fee.", "Transaction signature",
                    "The signature of the transaction you sent (base58), as an explorer shows it."),
        staff="Solana transaction executed on chain", nonce_line=True),
    ProofMethod(
        "transaction", "evm", "evm",
        {"tx_hash": lambda facts, text, env: transaction.verify(facts, text, node=env.evm_node,
                                                                min_confirmations=env.min_confirmations)},
        HolderWords("Send a transaction that moves nothing",
                    "You send a transaction of 0 coins to yourself carrying a code. It costs a small fee.",
                    "Transaction hash", "The 0x… hash of the transaction you sent."),
        staff="EVM transaction executed on chain", nonce_line=True),
)
BY_NAME: dict[str, ProofMethod] = {method.name: method for method in METHODS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
Method = Literal[NAMES]  # type: ignore[valid-type]  # the API's enum, in the order above
assert len(NAMES) == len(METHODS), "proof method names are unique"
assert all(method.verifiers for method in METHODS), "every method takes at least one proof field"


def method(name: str) -> ProofMethod:
    """The method called ``name``; ``InvalidInputError`` (field ``method``) for one this server does not know."""
    found = BY_NAME.get(name)
    if found is None:
        raise InvalidInputError(f"method must be one of {', '.join(NAMES)}", field="method")
    return found


def names_for(chain: str, *, node: Node | None = None) -> tuple[str, ...]:
    """The methods a ``chain`` address proves ownership with (only those needing ``node``, when given)."""
    return tuple(m.name for m in METHODS if m.chain == chain and (node is None or m.node == node))


def contract_wallet_methods() -> tuple[str, ...]:
    return tuple(m.name for m in METHODS if m.contract_wallet)


def styles_allowing(style: str) -> tuple[str, ...]:
    return tuple(m.name for m in METHODS if style in m.message_styles)
