"""``portal policy``: make keys, sign and verify policy documents and trust roots offline, publish.

Signatures live beside the file they sign: ``<doc>.sig.json`` (and ``root.toml`` ->
``root.sig.json``). Passphrases come from ``PORTAL_KEY_PASSPHRASE`` or a prompt, tokens from
``--token`` or ``PORTAL_TOKEN``; neither is ever printed. Exit codes: 0 ok, 1 verification or
publication refused, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import msgspec
from eth_account import Account

from policy.document import parse_document
from policy.errors import PolicyError
from policy.root import parse_root, root_statement, verify_root_chain
from policy.signatures import Signature, add_signature, dump_signatures, load_signatures
from policy.statement import recover_signer, sign_statement, statement
from policy.verify import check_policy

PASSPHRASE_ENV = "PORTAL_KEY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
TOKEN_ENV = "PORTAL_TOKEN"  # noqa: S105 - the variable's name, not a secret


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("policy", help="signed official policy: keys, signing, verification")
    commands = parser.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    keygen = commands.add_parser("keygen", help="new signing key in an encrypted keystore")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.set_defaults(func=run_keygen)
    text = commands.add_parser("statement", help="print the text to sign in any wallet")
    text.add_argument("doc", type=Path)
    text.set_defaults(func=run_statement)
    sign = commands.add_parser("sign", help="sign DOC with a keystore; adds to DOC.sig.json")
    sign.add_argument("doc", type=Path)
    sign.add_argument("--keystore", type=Path, required=True)
    sign.set_defaults(func=run_sign)
    add = commands.add_parser("add-signature", help="add a signature made elsewhere (hardware wallet)")
    add.add_argument("doc", type=Path)
    add.add_argument("--signature", required=True)
    add.set_defaults(func=run_add_signature)
    verify = commands.add_parser("verify", help="verify DOC offline against a trust root")
    verify.add_argument("doc", type=Path)
    verify.add_argument("--root", type=Path, required=True)
    verify.add_argument("--prev", type=Path, help="the previous version's exact file")
    verify.add_argument("--now", help="ISO time to check expiry at (default: now)")
    verify.set_defaults(func=run_verify)
    publish = commands.add_parser("publish", help="POST DOC and its signatures to a portal")
    publish.add_argument("doc", type=Path)
    publish.add_argument("--url", required=True)
    publish.add_argument("--token", help=f"publisher token (default ${TOKEN_ENV})")
    publish.set_defaults(func=run_publish)
    root = commands.add_parser("root", help="trust roots").add_subparsers(dest="root_command", required=True)
    init = root.add_parser("init", help="write a new root.toml")
    init.add_argument("--signer", action="append", required=True)
    init.add_argument("--threshold", type=int, required=True)
    init.add_argument("--expires", required=True, help="ISO datetime with timezone")
    init.add_argument("--version", type=int, default=1)
    init.add_argument("--out", type=Path, required=True)
    init.set_defaults(func=run_root_init)
    root_sign = root.add_parser("sign", help="sign ROOT with a keystore; adds to ROOT's .sig.json")
    root_sign.add_argument("root", type=Path)
    root_sign.add_argument("--keystore", type=Path, required=True)
    root_sign.set_defaults(func=run_root_sign)
    root_verify = root.add_parser("verify", help="verify ROOT's rotation from a trusted older root")
    root_verify.add_argument("root", type=Path)
    root_verify.add_argument("--trusted", type=Path, required=True)
    root_verify.set_defaults(func=run_root_verify)


def sig_path(path: Path) -> Path:
    return path.with_suffix(".sig.json") if path.suffix == ".toml" else path.with_name(path.name + ".sig.json")


def _print(value: object) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def _fail(message: str, code: int = 1) -> int:
    print(f"portal: {message}", file=sys.stderr)
    return code


def _passphrase(confirm: bool) -> str:
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    first = getpass.getpass("keystore passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise PolicyError("the passphrases differ")
    return first


def _key_from(keystore: Path) -> bytes:
    return Account.decrypt(json.loads(keystore.read_text()), _passphrase(confirm=False))


def run_keygen(args: argparse.Namespace, *, kdf_iterations: int | None = None) -> int:
    if args.out.exists():
        return _fail(f"{args.out} exists; refusing to overwrite a keystore", 2)
    account = Account.create()
    passphrase = _passphrase(confirm=True)
    keystore = Account.encrypt(account.key, passphrase, iterations=kdf_iterations)
    args.out.write_text(json.dumps(keystore))
    args.out.chmod(0o600)
    _print({"address": account.address, "keystore": str(args.out)})
    return 0


def _load_doc(path: Path):
    return parse_document(path.read_bytes())


def run_statement(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(statement(_load_doc(args.doc)) + "\n")
    except (OSError, PolicyError) as exc:
        return _fail(str(exc), 2)
    return 0


def _sign_file(path: Path, text: str, keystore: Path) -> int:
    key = _key_from(keystore)
    signature = sign_statement(text, key)
    signer = recover_signer(text, signature)
    dump_signatures(sig_path(path), add_signature(load_signatures(sig_path(path)), Signature(signer, signature)))
    _print({"signer": signer, "signature": signature, "file": str(sig_path(path))})
    return 0


def run_sign(args: argparse.Namespace) -> int:
    try:
        return _sign_file(args.doc, statement(_load_doc(args.doc)), args.keystore)
    except (OSError, ValueError, PolicyError) as exc:
        return _fail(str(exc), 2)


def run_add_signature(args: argparse.Namespace) -> int:
    try:
        text = statement(_load_doc(args.doc))
        signer = recover_signer(text, args.signature)
    except (OSError, PolicyError) as exc:
        return _fail(str(exc), 2)
    dump_signatures(sig_path(args.doc), add_signature(load_signatures(sig_path(args.doc)),
                                                      Signature(signer, args.signature)))
    _print({"signer": signer, "file": str(sig_path(args.doc))})
    return 0


def run_verify(args: argparse.Namespace) -> int:
    try:
        doc = _load_doc(args.doc)
        root = parse_root(args.root.read_bytes())
        previous = _load_doc(args.prev) if args.prev else None
        now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.UTC)
        signatures = load_signatures(sig_path(args.doc))
    except (OSError, ValueError, PolicyError, msgspec.DecodeError) as exc:
        return _fail(str(exc), 2)
    if previous is None and doc.version > 1:
        print("portal: note: no --prev given; the version chain is checked only from version 1", file=sys.stderr)
    result = check_policy(doc, signatures, root, previous=previous, now=now)
    _print(result)
    if not result.ok:
        return _fail("; ".join(f"{p.code}: {p.message}" for p in result.problems))
    return 0


def run_publish(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        return _fail(f"no publisher token: pass --token or set {TOKEN_ENV}", 2)
    try:
        body = {"document": args.doc.read_text(encoding="utf-8"),
                "signatures": msgspec.to_builtins(load_signatures(sig_path(args.doc)))}
    except (OSError, msgspec.DecodeError) as exc:
        return _fail(str(exc), 2)
    if not args.url.startswith(("https://", "http://")):
        return _fail("--url must be an http(s) URL", 2)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        args.url.rstrip("/") + "/v1/policies", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - operator-given URL
            sys.stdout.write(response.read().decode() + "\n")
            return 0
    except urllib.error.HTTPError as exc:
        problem = exc.read().decode(errors="replace")
        return _fail(f"refused ({exc.code}): {problem}")
    except urllib.error.URLError as exc:
        return _fail(f"cannot reach {args.url}: {exc.reason}", 2)


def run_root_init(args: argparse.Namespace) -> int:
    signers = ", ".join(f'"{s}"' for s in args.signer)
    text = (f"version = {args.version}\nthreshold = {args.threshold}\nexpires = {args.expires}\n"
            f"signers = [{signers}]\n")
    try:
        parse_root(text.encode())
    except PolicyError as exc:
        return _fail(str(exc), 2)
    args.out.write_text(text)
    _print({"root": str(args.out), "signers": args.signer, "threshold": args.threshold})
    return 0


def run_root_sign(args: argparse.Namespace) -> int:
    try:
        return _sign_file(args.root, root_statement(parse_root(args.root.read_bytes())), args.keystore)
    except (OSError, ValueError, PolicyError) as exc:
        return _fail(str(exc), 2)


def run_root_verify(args: argparse.Namespace) -> int:
    try:
        trusted = parse_root(args.trusted.read_bytes())
        candidate = parse_root(args.root.read_bytes())
        newest = verify_root_chain(trusted, [(candidate, load_signatures(sig_path(args.root)))],
                                   dt.datetime.now(dt.UTC))
    except PolicyError as exc:
        return _fail(f"{exc.code}: {exc}")
    except (OSError, msgspec.DecodeError) as exc:
        return _fail(str(exc), 2)
    _print({"ok": True, "version": newest.version, "threshold": newest.threshold, "signers": newest.signers})
    return 0
