"""Release documents: a numbered, frozen claim tree for one destination chain, signed like a policy.

Why a document like the policy: a claim contract holds one root, so holders and operators need to
know which approvals a root covers, and to trust that answer as much as the policy. A release is
UTF-8 Markdown with TOML front matter (``kind = "release"``) signed under the policy's trust root
with the same threshold, by the same tools (``portal policy statement|sign|add-signature|verify``).

The front matter names the tree (``uniswap`` or ``oz`` for EVM, ``distributor`` for Solana), its
``merkle_root``, the entry count and ``total``, ``entries_sha256`` (the sha256 of the entries file
beside it, ``<stem>.entries.json``), the ``distributor`` holders claim from, an optional
``claim_deadline`` and ``prev`` (the sha256 of release n-1 of the same chain, ``""`` for 1). An EVM
release names its ``chain_id`` (and so does each entry): a contract wallet's proof holds on one chain
only, so a release is for one chain id. A document without it (written before it was added) still reads.

Invariants checked here (pure, no I/O), each with its own code: the threshold of root signers over
the statement; ``number`` is the next and ``prev`` is the previous release's sha256; the entries
hash to ``entries_sha256`` and agree with ``entries``/``total``; the root follows from the entries; the
body's corrections section lists exactly the upheld cases' corrections the entries pay
(``policy.release_corrections``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec

from policy.document import HEX64, field_error, split_front_matter
from policy.errors import PolicyDocumentError
from policy.release_corrections import Paid, section_problems
from policy.root import TrustRoot, valid_signers
from policy.signatures import Signature
from policy.verify import Problem
from snapshot import distributor, merkle, uniswap
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError

Chain = Literal["evm", "solana"]
TreeKind = Literal["uniswap", "oz", "distributor"]
TREES: dict[str, tuple[str, ...]] = {"evm": ("uniswap", "oz"), "solana": ("distributor",)}
DEFAULT_TREE = {"evm": "uniswap", "solana": "distributor"}
#: The OpenZeppelin leaf of an ``oz`` release: ``StandardMerkleTree.of(values, OZ_ENCODING)``.
OZ_ENCODING = ("uint256", "address", "uint256")
ROOT_HEX = re.compile(r"^0x[0-9a-f]{64}$")
ENTRIES_SUFFIX = ".entries.json"


class ReleaseSource(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One approved request an entry pays: its snapshot, its address there, its share in destination units.
    ``case_id`` names the upheld case when the source is a correction (so the signed entries list every
    correction the release carries); it is left out of the file otherwise."""

    snapshot_id: str
    snapshot_address: str
    amount: str
    case_id: str | None = None


class ReleaseEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One leaf: ``index`` (the claim's index), the destination that claims, the amount in the
    destination token's base units, and the requests it adds up (a destination appears once: the
    distributor's ClaimStatus and Uniswap's claims JSON are per account). ``chain_id``: the EVM chain
    the claim is on (not part of the leaf; left out of a Solana entry's line)."""

    index: int
    destination: str
    amount: str
    sources: list[ReleaseSource]
    chain_id: int | None = None


class _FrontMatter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: Literal["release"]
    destination_chain: Chain
    number: Annotated[int, msgspec.Meta(ge=1)]
    tree: TreeKind
    merkle_root: str
    entries: Annotated[int, msgspec.Meta(ge=1)]
    total: str
    decimals: Annotated[int, msgspec.Meta(ge=0, le=255)]
    entries_sha256: str
    distributor: str
    prev: str
    created: dt.datetime
    claim_deadline: dt.datetime | None = None
    program: str = ""  # Solana: the distributor program (its ClaimStatus PDAs are derived under it)
    chain_id: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)] | None = None  # EVM: the chain claims are on


class ReleaseDocument(msgspec.Struct, frozen=True):
    destination_chain: str
    number: int
    tree: str
    merkle_root: str
    entries: int
    total: int
    decimals: int
    entries_sha256: str
    distributor: str
    prev: str
    created: dt.datetime
    claim_deadline: dt.datetime | None
    body: str
    raw: bytes
    sha256: str
    program: str = ""
    chain_id: int | None = None


def is_release(raw: bytes) -> bool:
    """Whether ``raw`` is a release document (its front matter says ``kind = "release"``)."""
    try:
        front, _ = split_front_matter(raw.decode("utf-8"))
        return tomllib.loads(front).get("kind") == "release"
    except (UnicodeDecodeError, PolicyDocumentError, tomllib.TOMLDecodeError):
        return False


def distributor_problem(chain: str, address: str) -> str | None:
    """Why ``address`` cannot be the claim contract (EVM) or program (Solana) of ``chain``, or None."""
    try:
        parsed = parse_address(address)
    except InvalidAddressError as exc:
        return f"{address!r} does not parse ({exc})"
    return None if parsed.chain == chain else f"{address} is not a {chain} address"


def parse_release(raw: bytes) -> ReleaseDocument:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyDocumentError(f"release: not UTF-8 (byte {exc.start})") from None
    front, body = split_front_matter(text, "release")
    try:
        meta = msgspec.convert(tomllib.loads(front), _FrontMatter)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyDocumentError(f"release front matter: not valid TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise field_error(exc, "release front matter") from None
    if meta.tree not in TREES[meta.destination_chain]:
        raise PolicyDocumentError(f"release front matter: tree: {meta.tree} is not a {meta.destination_chain} tree "
                                  f"({', '.join(TREES[meta.destination_chain])})")
    if not ROOT_HEX.match(meta.merkle_root):
        raise PolicyDocumentError("release front matter: merkle_root: expected 0x and 64 lowercase hex")
    if not HEX64.match(meta.entries_sha256):
        raise PolicyDocumentError("release front matter: entries_sha256: expected 64 lowercase hex")
    if not meta.total.isdigit():
        raise PolicyDocumentError("release front matter: total: expected a decimal integer in base units")
    if meta.number == 1 and meta.prev != "":
        raise PolicyDocumentError('release front matter: prev: must be "" for release 1')
    if meta.number > 1 and not HEX64.match(meta.prev):
        raise PolicyDocumentError("release front matter: prev: expected the sha256 (64 lowercase hex) of the "
                                  "previous release")
    if meta.distributor and (problem := distributor_problem(meta.destination_chain, meta.distributor)):
        raise PolicyDocumentError(f"release front matter: distributor: {problem}")
    if meta.program and (meta.destination_chain != "solana" or distributor_problem("solana", meta.program)):
        raise PolicyDocumentError("release front matter: program: a Solana release's distributor program (a Solana "
                                  "address); an EVM release has none")
    if meta.chain_id is not None and meta.destination_chain != "evm":
        raise PolicyDocumentError("release front matter: chain_id: an EVM release's chain id; a Solana release has "
                                  "none")
    for name in ("created", "claim_deadline"):
        moment = getattr(meta, name)
        if moment is not None and moment.tzinfo is None:
            raise PolicyDocumentError(f"release front matter: {name}: expected a datetime with a timezone")
    return ReleaseDocument(
        destination_chain=meta.destination_chain, number=meta.number, tree=meta.tree, merkle_root=meta.merkle_root,
        entries=meta.entries, total=int(meta.total), decimals=meta.decimals, entries_sha256=meta.entries_sha256,
        distributor=meta.distributor, prev=meta.prev, created=meta.created, claim_deadline=meta.claim_deadline,
        body=body, raw=raw, sha256=hashlib.sha256(raw).hexdigest(), program=meta.program, chain_id=meta.chain_id)


def release_statement(doc: ReleaseDocument) -> str:
    """The signed text: a first line no policy statement can have, then the same two lines."""
    return f"Token release {doc.destination_chain} number {doc.number}\nsha256:{doc.sha256}\nprev:{doc.prev}"


# --- entries and their tree ---------------------------------------------------------------------

def encode_entries(entries: Sequence[ReleaseEntry]) -> bytes:
    """The entries file: a JSON array, one entry a line (diffable, and hashed exactly as written)."""
    encoder = msgspec.json.Encoder()
    return b"[\n" + b",\n".join(encoder.encode(entry) for entry in entries) + b"\n]\n"


def decode_entries(data: bytes) -> list[ReleaseEntry]:
    return msgspec.json.decode(data, type=list[ReleaseEntry])


def entries_path(doc_path_name: str) -> str:
    """``release-1.md`` -> ``release-1.entries.json`` (the file beside the document)."""
    return doc_path_name.removesuffix(".md") + ENTRIES_SUFFIX


def _key(text: str, chain: str) -> bytes:
    """The destination's key bytes, as the leaf holds them. An EVM address's case is not part of the
    leaf, so its EIP-55 checksum is not recomputed here (a keccak per entry; the portal checked it
    when the request was made, and ``prepare`` checks it again)."""
    if chain == "evm" and len(text) == 42 and text[:2] == "0x" and text[2:].isalnum():
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass  # parse_address says why
    address = parse_address(text)
    if address.chain != chain:
        raise InvalidAddressError(f"{text} is not a {chain} address")
    return address.raw


class BuiltTree:
    """A release's tree: its root and each entry's proof (``uniswap``, ``oz`` or ``distributor``)."""

    def __init__(self, tree: str, chain: str, entries: Sequence[ReleaseEntry]) -> None:
        if tree not in TREES[chain]:
            raise ValueError(f"{tree} is not a {chain} tree")
        claims = [(_key(entry.destination, chain), int(entry.amount)) for entry in entries]
        self.tree = tree
        self._proof: object
        if tree == "uniswap":
            built = uniswap.ClaimTree(claims)
            self.root, self._proof = built.root, built.proof
        elif tree == "oz":
            standard = merkle.standard_tree([index.to_bytes(32) + account.rjust(32, b"\0") + amount.to_bytes(32)
                                             for index, (account, amount) in enumerate(claims)])
            self.root, self._proof = standard.root, standard.proof
        else:
            airdrop = distributor.AirdropTree([distributor.Claim(account, amount) for account, amount in claims])
            self.root, self._proof = airdrop.root, airdrop.proof

    def proof(self, index: int) -> list[bytes]:
        return self._proof(index)  # type: ignore[operator]


def entry_problems(doc: ReleaseDocument, entries_bytes: bytes) -> list[Problem]:
    """Whether the entries are the ones the document commits to, and its root follows from them."""
    return checked_entries(doc, entries_bytes)[0]


def checked_entries(doc: ReleaseDocument, entries_bytes: bytes) -> tuple[list[Problem], list[ReleaseEntry]]:
    """``entry_problems`` and the decoded entries (decoded once: a server then matches them to requests)."""
    if hashlib.sha256(entries_bytes).hexdigest() != doc.entries_sha256:
        return [Problem("entries_mismatch", "the entries do not hash to entries_sha256 "
                                            f"({doc.entries_sha256[:12]}…): they are not the ones signed")], []
    try:
        entries = decode_entries(entries_bytes)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return [Problem("entries_mismatch", f"the entries file does not decode: {exc}")], []
    problems = _tree_problems(doc, entries)  # the amounts parse once these pass
    return problems or section_problems(doc.body, paid_corrections(entries), doc.decimals), entries


def paid_corrections(entries: Sequence[ReleaseEntry]) -> list[Paid]:
    """The upheld cases' corrections the entries pay (sources naming a ``case_id``), in entry order."""
    return [Paid(source.case_id, source.snapshot_address, source.snapshot_id, entry.destination, int(source.amount))
            for entry in entries for source in entry.sources if source.case_id is not None]


def _tree_problems(doc: ReleaseDocument, entries: list[ReleaseEntry]) -> list[Problem]:
    problems = []
    if [entry.index for entry in entries] != list(range(len(entries))):
        problems.append(Problem("entries_mismatch", "entry indices must run 0..n-1 in order"))
    if len(entries) != doc.entries:
        problems.append(Problem("entries_mismatch", f"{len(entries)} entries, the document says {doc.entries}"))
    try:
        total = sum(int(entry.amount) for entry in entries)
        if total != doc.total:
            problems.append(Problem("entries_mismatch",
                                    f"the entries add up to {total}, the document says {doc.total}"))
        if len({entry.destination for entry in entries}) != len(entries):
            problems.append(Problem("entries_mismatch", "a destination appears in two entries"))
        if any(entry.chain_id != doc.chain_id for entry in entries):
            problems.append(Problem("entries_mismatch", f"an entry names another chain id than the document's "
                                                        f"({doc.chain_id}): a release is for one chain"))
        if problems:
            return problems
        root = "0x" + BuiltTree(doc.tree, doc.destination_chain, entries).root.hex()
    except (ValueError, InvalidAddressError, distributor.DistributorLimitError) as exc:
        return [Problem("entries_mismatch", f"the entries cannot be a {doc.tree} tree: {exc}")]
    if root != doc.merkle_root:
        return [Problem("root_mismatch", f"the root of the entries is {root}, the document says {doc.merkle_root}")]
    return []


class ReleaseCheck(msgspec.Struct, frozen=True):
    ok: bool
    destination_chain: str
    number: int
    sha256: str
    statement: str
    signers: list[str]
    threshold: int
    missing: int
    problems: list[Problem]


def check_release(doc: ReleaseDocument, signatures: list[Signature], root: TrustRoot, *,
                  previous: ReleaseDocument | None, entries_bytes: bytes | None) -> ReleaseCheck:
    """Every problem of ``doc`` as the server and ``portal policy verify`` see it (``entries_bytes``
    None: the entries are not at hand and are not checked)."""
    text = release_statement(doc)
    signers, found = valid_signers(text, signatures, root)
    problems = [Problem(code, message) for code, message in found]
    missing = max(0, root.threshold - len(signers))
    if missing:
        problems.insert(0, Problem("below_threshold", f"signed by {len(signers)} of {root.threshold} required root "
                                                      "keys" + (f": {', '.join(signers)}" if signers else "")))
    expected = previous.number + 1 if previous else 1
    if doc.number != expected:
        problems.append(Problem("not_next_number", f"release {doc.number} of {doc.destination_chain} is not the next "
                                                   f"one ({expected})"))
    elif previous is not None and doc.prev != previous.sha256:
        problems.append(Problem("wrong_prev", f"prev {doc.prev[:12]}… is not the sha256 of release {previous.number} "
                                              f"({previous.sha256[:12]}…)"))
    if previous is not None and previous.destination_chain != doc.destination_chain:
        problems.append(Problem("wrong_prev", "the previous release is of another chain"))
    if not doc.distributor or (doc.destination_chain == "solana" and not doc.program):
        problems.append(Problem("distributor_missing", "no distributor: set the claim contract's address (and a "
                                                       "Solana release's program) with `portal release "
                                                       "distributor` before signing"))
    if entries_bytes is not None:
        problems.extend(entry_problems(doc, entries_bytes))
    return ReleaseCheck(ok=not problems, destination_chain=doc.destination_chain, number=doc.number, sha256=doc.sha256,
                        statement=text, signers=signers, threshold=root.threshold, missing=missing, problems=problems)
