"""Challenge messages: EIP-4361 (Sign-In with Ethereum) text, its CAIP-122 Solana form, EIP-712 data.

Built with a plain template rather than the ``siwe`` package: the text is fully determined by our
fields, a template is a few microseconds, and nothing of the client's is ever parsed (the proof is
checked against the stored message). Measured against ``siwe`` 4.4.0 (in a throwaway directory,
one core, same fields): ``SiweMessage(...).prepare_message()`` 32 µs per message against 3.5 µs for
this template, for byte-identical text (and ``SiweMessage.from_message`` parses our text, i.e. it is
valid EIP-4361); siwe also pins ``eth-account<0.14`` and ``web3<8``, which this project is past, and
fails to import with the current ``abnf`` 2.9. So it is not adopted. The statement names the destination and
says, in words a wallet shows, that official support never asks for funds, seed phrases or DMs.

EVM text follows EIP-4361 (checksummed address, alphanumeric nonce, RFC 3339 UTC times, the
destination as a CAIP-10 resource). Solana text is its CAIP-122 form as Phantom's Sign-In With Solana
reads it: "... with your Solana account", base58 key, ``Chain ID: mainnet`` (the cluster).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from portal.domain.proofs.solana import FORMAT0_MAX_BODY_BYTES, is_restricted_ascii

NONCE_PREFIX = "migration-portal nonce: "
TYPED_DATA_NAME = "migration-portal"
TYPED_DATA_VERSION = "1"


def nonce_line(nonce: str) -> str:
    """The line a ``transaction`` or ``solana_tx`` proof carries as calldata / memo."""
    return NONCE_PREFIX + nonce


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


SUPPORT_WARNING = "Official support never asks for funds, seed phrases or private keys, and never DMs first."


def chain_label(destination_chain: str, chain_id: int) -> str:
    """How the destination chain is named in words: ``Solana`` or ``EVM chain <id>``."""
    return "Solana" if destination_chain == "solana" else f"EVM chain {chain_id}"


def statement_text(destination: str, destination_chain: str = "evm", chain_id: int = 1) -> str:
    return (f"I own this snapshot address and ask that its migrated allocation be sent to {destination} "
            f"on {chain_label(destination_chain, chain_id)}. {SUPPORT_WARNING}")


def application_domain(host: str) -> bytes:
    """The 32-byte application domain of Solana off-chain messages made for this portal."""
    return hashlib.sha256(host.encode()).digest()


@dataclass(frozen=True, slots=True)
class MessageFields:
    """The facts every challenge binds, in each of its forms (EIP-4361 text, CAIP-122 text, one line, EIP-712):
    the portal's domain, the snapshot address, the destination and its chain (with the EVM chain id), the
    nonce, the issue and expiry times, and the request id. ``chain_id`` is the EVM chain's, also for a
    Solana holder whose destination is on an EVM chain."""

    domain: str
    address: str
    destination: str
    nonce: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    request_id: str = ""
    destination_chain: str = "evm"
    chain_id: int = 1


def _require_nonce(nonce: str) -> None:
    if not (len(nonce) >= 8 and nonce.isascii() and nonce.isalnum()):
        raise ValueError("an EIP-4361 nonce is at least 8 ASCII letters or digits")


def _body(fields: MessageFields, *, account_kind: str, uri: str, chain_id: str) -> str:
    _require_nonce(fields.nonce)
    resource = destination_resource(fields.destination, fields.destination_chain, fields.chain_id)
    statement = statement_text(fields.destination, fields.destination_chain, fields.chain_id)
    return (
        f"{fields.domain} wants you to sign in with your {account_kind} account:\n{fields.address}\n\n"
        f"{statement}\n\n"
        f"URI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {fields.nonce}\n"
        f"Issued At: {_iso(fields.issued_at)}\nExpiration Time: {_iso(fields.expires_at)}\n"
        f"Request ID: {fields.request_id}\nResources:\n- {resource}"
    )


def destination_namespace(destination_chain: str, chain_id: int) -> str:
    """The CAIP-2 chain id of the destination: ``eip155:<id>`` or ``solana:mainnet``."""
    return f"eip155:{chain_id}" if destination_chain == "evm" else "solana:mainnet"


def destination_resource(destination: str, destination_chain: str, chain_id: int) -> str:
    """The destination as a CAIP-10 account id (the EIP-4361 resource line)."""
    return f"{destination_namespace(destination_chain, chain_id)}:{destination}"


def build_evm_message(fields: MessageFields, *, uri: str) -> str:
    return _body(fields, account_kind="Ethereum", uri=uri, chain_id=str(fields.chain_id))


def build_solana_message(fields: MessageFields, *, uri: str, cluster: str = "mainnet") -> str:
    return _body(fields, account_kind="Solana", uri=uri, chain_id=cluster)


ONE_LINE_FORBIDDEN = frozenset('"' + "'`$\\!")  # shell-special: the line pastes safely inside quotes


def build_solana_one_line(fields: MessageFields) -> str:
    """The ``one_line`` Solana challenge: one printable-ASCII line a Ledger clear-signs.

    Solana off-chain message format 0 (restricted ASCII) admits bytes 0x20-0x7e only, so no line
    feed; a Ledger shows format 0 in clear and blind-signs format 1. The line binds the same facts
    as the CAIP-122 text (portal domain, snapshot address, destination with its CAIP-2 chain, nonce,
    issue and expiry times, request id) and carries the support warning. It contains none of
    ``" ' ` $ \\ !`` so it pastes unchanged between quotes on a shell command line
    (``solana sign-offchain-message``). Raises ``ValueError`` when a field would break format 0 or
    push the line past ``solana.FORMAT0_MAX_BODY_BYTES`` (settings bound the domain, so a valid
    configuration never does: see ``tests/unit/proofs/test_one_line_message.py``).
    """
    _require_nonce(fields.nonce)
    chain, chain_id = fields.destination_chain, fields.chain_id
    line = (f"{fields.domain} migration request: I own Solana account {fields.address} and ask that its migrated "
            f"allocation be sent to {fields.destination} on {chain_label(chain, chain_id)} "
            f"({destination_namespace(chain, chain_id)}). Nonce: {fields.nonce}. "
            f"Issued At: {_iso(fields.issued_at)}. Expiration Time: {_iso(fields.expires_at)}. "
            f"Request ID: {fields.request_id}. {SUPPORT_WARNING}")
    raw = line.encode("utf-8")
    if not is_restricted_ascii(raw) or ONE_LINE_FORBIDDEN & set(line):
        raise ValueError("a one-line challenge must be printable ASCII without quotes, $, ! or backslashes")
    if len(raw) > FORMAT0_MAX_BODY_BYTES:
        raise ValueError(f"a one-line challenge is at most {FORMAT0_MAX_BODY_BYTES} bytes, this one {len(raw)}")
    return line


DOMAIN_TYPE = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
               {"name": "chainId", "type": "uint256"}]


def request_type(destination_chain: str) -> list[dict[str, str]]:
    """The ``MigrationRequest`` fields for a destination chain.

    An EVM destination is an ``address``; a Solana one (base58 of 32 bytes) cannot be encoded as an
    EVM address, so wallets refuse to sign it there: it is the ``string`` it is written as.
    """
    destination_type = "address" if destination_chain == "evm" else "string"
    return [{"name": "snapshotAddress", "type": "address"}, {"name": "destination", "type": destination_type},
            {"name": "nonce", "type": "string"}, {"name": "issuedAt", "type": "uint256"},
            {"name": "expiresAt", "type": "uint256"}]


TYPES = {"EIP712Domain": DOMAIN_TYPE, "MigrationRequest": request_type("evm")}  # the EVM-destination shape


def build_typed_data(fields: MessageFields) -> dict[str, Any]:
    """The complete JSON ``eth_signTypedData_v4`` takes (the portal's domain and the request id are not in it)."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "MigrationRequest": request_type(fields.destination_chain)},
        "primaryType": "MigrationRequest",
        "domain": {"name": TYPED_DATA_NAME, "version": TYPED_DATA_VERSION, "chainId": fields.chain_id},
        "message": {"snapshotAddress": fields.address, "destination": fields.destination, "nonce": fields.nonce,
                    "issuedAt": int(fields.issued_at.timestamp()), "expiresAt": int(fields.expires_at.timestamp())},
    }
