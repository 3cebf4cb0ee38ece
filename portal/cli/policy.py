"""``portal policy``: write, sign and verify policy documents and trust roots, offline or from a URL.

Signatures live beside the file they sign: ``<doc>.sig.json`` (and ``root.toml`` ->
``root.sig.json``), the same files the portal serves. Passphrases come from
``PORTAL_KEY_PASSPHRASE`` or a prompt on a terminal (never from a pipe), tokens from ``--token`` or
``PORTAL_TOKEN``; neither is ever printed. Errors are one line on stderr. Exit codes: 0 ok,
1 verification or publication refused, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import msgspec
from eth_account import Account

from policy.document import parse_document
from policy.errors import PolicyError, UnknownSignerError
from policy.release import is_release, parse_release, release_statement
from policy.remote import FetchError, split_policy_url
from policy.root import parse_root, root_statement, root_toml, verify_root_chain
from policy.scaffold import new_document, next_document
from policy.signatures import Signature, add_signature, dump_signatures, load_signatures, sig_path
from policy.slips import root_signer_of
from policy.statement import recover_signer, sign_statement, statement
from portal.cli import policy_openpgp
from portal.cli.output import fail, print_json
from portal.cli.passphrase import CliError, passphrase
from portal.cli.policy_verify import now_from as _now
from portal.cli.policy_verify import one_line as _one_line
from portal.cli.policy_verify import run_verify

TOKEN_ENV = "PORTAL_TOKEN"  # noqa: S105 - the variable's name, not a secret


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("policy", help="signed official policy: write, sign, verify, publish")
    commands = parser.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    keygen = commands.add_parser("keygen", help="new signing key in an encrypted keystore")
    keygen.add_argument("--out", type=Path, required=True)
    keygen.set_defaults(func=run_keygen)
    new = commands.add_parser("new", help="write version 1 of a policy (complete, ready to edit and sign)")
    new.add_argument("--out", type=Path, required=True)
    new.add_argument("--url", required=True, help="the portal's public URL, e.g. https://migrate.example.org")
    new.add_argument("--slug", default="official")
    new.add_argument("--days", type=int, default=90, help="days until it expires (default 90)")
    new.set_defaults(func=run_new)
    nxt = commands.add_parser("next", help="write the next version of DOC (version + 1, prev filled in)")
    nxt.add_argument("doc", type=Path)
    nxt.add_argument("--out", type=Path, required=True)
    nxt.add_argument("--days", type=int, help="days until it expires (default: as long as DOC was valid)")
    nxt.set_defaults(func=run_next)
    text = commands.add_parser("statement", help="print the exact bytes to sign in any wallet (no final newline)")
    text.add_argument("doc", type=Path)
    text.add_argument("--json", action="store_true", help="print {statement, sha256, slug, version} for scripts")
    text.set_defaults(func=run_statement)
    sign = commands.add_parser("sign", help="sign DOC with a keystore (or the demo's DEMO keys); adds to DOC.sig.json")
    sign.add_argument("doc", type=Path)
    _key_arguments(sign)
    sign.set_defaults(func=run_sign)
    add = commands.add_parser("add-signature", help="add a signature made elsewhere (hardware wallet)")
    add.add_argument("doc", type=Path)
    add.add_argument("--signature", required=True)
    add.add_argument("--root", type=Path, help="trust root the signer must be in (default: root.toml beside DOC)")
    add.set_defaults(func=run_add_signature)
    verify = commands.add_parser("verify", help="verify DOC offline, or everything a portal serves (--url)")
    verify.add_argument("doc", type=Path, nargs="?")
    verify.add_argument("--url", help="a policy page, e.g. https://migrate.example.org/policy/official (or the "
                                      "portal's URL, for policy official)")
    verify.add_argument("--root", type=Path, help="the trust root you hold (a root.toml)")
    verify.add_argument("--root-sha256", help="or the sha256 of the trust root you hold (with --url)")
    verify.add_argument("--state", type=Path, help="with --url: remember what was verified; refuse anything older")
    verify.add_argument("--prev", type=Path, help="the previous version's exact file (offline; default: the file "
                                                  "beside DOC whose sha256 is DOC's prev)")
    verify.add_argument("--now", help="ISO time to check expiry at (default: now)")
    verify.set_defaults(func=run_verify)
    publish = commands.add_parser("publish", help="POST DOC and its signatures to a portal")
    publish.add_argument("doc", type=Path)
    publish.add_argument("--url", required=True, help="the portal, as verify takes it: https://host or "
                                                     "https://host/policy/<slug>")
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
    root_sign = root.add_parser("sign", help="sign ROOT with a keystore (or the demo's DEMO keys); adds to "
                                             "ROOT's .sig.json")
    root_sign.add_argument("root", type=Path)
    _key_arguments(root_sign)
    root_sign.set_defaults(func=run_root_sign)
    root_verify = root.add_parser("verify", help="verify ROOT's rotation from a trusted older root")
    root_verify.add_argument("root", type=Path)
    root_verify.add_argument("--trusted", type=Path, required=True)
    root_verify.set_defaults(func=run_root_verify)
    root_publish = root.add_parser("publish", help="POST the next root and its signatures to a portal (rotation)")
    root_publish.add_argument("root", type=Path)
    root_publish.add_argument("--url", required=True, help="the portal: https://host or any of its policy pages")
    root_publish.add_argument("--token", help=f"publisher token (default ${TOKEN_ENV})")
    root_publish.set_defaults(func=run_root_publish)
    policy_openpgp.register(commands)


def _key_arguments(parser: argparse.ArgumentParser) -> None:
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--keystore", type=Path, help="an encrypted keystore (portal policy keygen)")
    keys.add_argument("--demo-keys", type=Path, metavar="DEMO-KEYS.json",
                      help="sign with every key of a `portal serve --demo` DEMO-KEYS.json (DEMO keys only)")


def demo_keys(path: Path) -> list[str]:
    """The private keys of a demo's ``DEMO-KEYS.json``, and nothing else: the file must say it holds DEMO
    keys, so that a real key stored as raw hex is never accepted by this shortcut."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: not a DEMO-KEYS.json of portal serve --demo ({exc})") from None
    keys = data.get("demo_private_keys") if isinstance(data, dict) else None
    if path.name != "DEMO-KEYS.json" or "DEMO" not in str(data.get("warning", "")) or not keys:
        raise CliError(f"{path}: --demo-keys takes only the DEMO-KEYS.json that portal serve --demo writes; "
                       "sign with real keys through --keystore")
    return [str(key) for key in keys]


def _key_from(keystore: Path) -> bytes:
    data = json.loads(keystore.read_text())
    secret = passphrase(confirm=False)
    try:
        return Account.decrypt(data, secret)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise CliError(f"wrong passphrase for {keystore}") from None
        raise CliError(f"{keystore}: not a keystore this tool can read ({exc})") from None


@_one_line
def run_keygen(args: argparse.Namespace, *, kdf_iterations: int | None = None) -> int:
    if args.out.exists():
        return fail(f"{args.out} exists; refusing to overwrite a keystore", 2)
    secret = passphrase(confirm=True)
    account = Account.create()
    keystore = Account.encrypt(account.key, secret, iterations=kdf_iterations)
    args.out.write_text(json.dumps(keystore))
    args.out.chmod(0o600)
    print_json({"address": account.address, "keystore": str(args.out)})
    return 0


def _write_new(path: Path, text: str) -> None:
    if path.exists():
        raise CliError(f"{path} exists; refusing to overwrite it")
    path.write_text(text, encoding="utf-8", newline="")


@_one_line
def run_new(args: argparse.Namespace) -> int:
    text = new_document(public_url=args.url, now=_now(None), slug=args.slug, days=args.days)
    _write_new(args.out, text)
    print_json({"document": str(args.out), "version": 1, "next": f"edit it, then: portal policy statement {args.out}"})
    return 0


@_one_line
def run_next(args: argparse.Namespace) -> int:
    previous = parse_document(args.doc.read_bytes())
    text = next_document(previous, now=_now(None), days=args.days)
    _write_new(args.out, text)
    print_json({"document": str(args.out), "version": previous.version + 1, "prev": previous.sha256})
    return 0


def _signed_text(path: Path) -> tuple[str, dict[str, object]]:
    """The statement to sign for DOC, a policy version or a release (``policy.release``), and what
    ``statement --json`` says of it."""
    raw = path.read_bytes()
    if is_release(raw):
        release = parse_release(raw)
        return release_statement(release), {"sha256": release.sha256, "kind": "release",
                                            "destination_chain": release.destination_chain, "number": release.number}
    doc = parse_document(raw)
    return statement(doc), {"sha256": doc.sha256, "slug": doc.slug, "version": doc.version}


@_one_line
def run_statement(args: argparse.Namespace) -> int:
    text, about = _signed_text(args.doc)
    if args.json:
        print_json({"statement": text, **about})
        return 0
    sys.stdout.write(text)  # the exact signed bytes: no newline at the end
    sys.stdout.flush()
    if sys.stdout.isatty():
        sys.stderr.write("\n")  # keeps the prompt off the last line without adding to what is piped
    return 0


def _sign_file(path: Path, text: str, args: argparse.Namespace) -> int:
    keys = demo_keys(args.demo_keys) if args.demo_keys else [_key_from(args.keystore)]
    signed = []
    for key in keys:
        signature = sign_statement(text, key)
        signer = recover_signer(text, signature)
        dump_signatures(sig_path(path), add_signature(load_signatures(sig_path(path)), Signature(signer, signature)))
        signed.append({"signer": signer, "signature": signature})
    print_json({**signed[0], "file": str(sig_path(path))} if len(signed) == 1 else
               {"signed": signed, "file": str(sig_path(path))})
    return 0


@_one_line
def run_sign(args: argparse.Namespace) -> int:
    return _sign_file(args.doc, _signed_text(args.doc)[0], args)


@_one_line
def run_add_signature(args: argparse.Namespace) -> int:
    """Record a signature only when it recovers to a signer of the root, over the exact statement."""
    text = _signed_text(args.doc)[0]
    root_path = args.root or args.doc.with_name("root.toml")
    if not root_path.exists():
        raise CliError(f"no trust root at {root_path}: pass --root root.toml (the signer must be in it)")
    root = parse_root(root_path.read_bytes())
    try:
        signer = root_signer_of(text, args.signature, root)
    except UnknownSignerError as exc:
        raise CliError(str(exc), 1) from None
    dump_signatures(sig_path(args.doc), add_signature(load_signatures(sig_path(args.doc)),
                                                      Signature(signer, args.signature)))
    print_json({"signer": signer, "file": str(sig_path(args.doc))})
    return 0


def _post(url: str, path: str, body: dict, token: str | None, slug: str | None = None) -> int:
    """POST to the portal that ``url`` names, in the form ``verify --url`` takes (its base URL or a policy
    page); a page of another policy than the document's is refused before anything is sent."""
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CliError(f"no publisher token: pass --token or set {TOKEN_ENV}")
    try:
        base, named = split_policy_url(url, slug or "official")
    except FetchError as exc:
        raise CliError(str(exc)) from None
    if slug is not None and named != slug:
        raise CliError(f"--url names policy {named}, but the document is policy {slug}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked by split_policy_url
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - operator-given URL
            sys.stdout.write(response.read().decode() + "\n")
            return 0
    except urllib.error.HTTPError as exc:
        raise CliError(f"refused ({exc.code}): {exc.read().decode(errors='replace')}", 1) from None
    except urllib.error.URLError as exc:
        raise CliError(f"cannot reach {url}: {exc.reason}") from None


@_one_line
def run_publish(args: argparse.Namespace) -> int:
    raw = args.doc.read_bytes()
    body = {"document": raw.decode("utf-8"), "signatures": msgspec.to_builtins(load_signatures(sig_path(args.doc)))}
    return _post(args.url, "/v1/policies", body, args.token, parse_document(raw).slug)


@_one_line
def run_root_publish(args: argparse.Namespace) -> int:
    body = {"root": args.root.read_bytes().decode("utf-8"),
            "signatures": msgspec.to_builtins(load_signatures(sig_path(args.root)))}
    return _post(args.url, "/v1/policies/roots", body, args.token)


@_one_line
def run_root_init(args: argparse.Namespace) -> int:
    text = root_toml(version=args.version, threshold=args.threshold, expires=args.expires, signers=args.signer)
    parse_root(text.encode())
    args.out.write_text(text)
    print_json({"root": str(args.out), "signers": args.signer, "threshold": args.threshold})
    return 0


@_one_line
def run_root_sign(args: argparse.Namespace) -> int:
    return _sign_file(args.root, root_statement(parse_root(args.root.read_bytes())), args)


@_one_line
def run_root_verify(args: argparse.Namespace) -> int:
    trusted = parse_root(args.trusted.read_bytes())
    candidate = parse_root(args.root.read_bytes())
    try:
        newest = verify_root_chain(trusted, [(candidate, load_signatures(sig_path(args.root)))],
                                   dt.datetime.now(dt.UTC))
    except PolicyError as exc:
        raise CliError(f"{exc.code}: {exc}", 1) from None
    print_json({"ok": True, "version": newest.version, "threshold": newest.threshold, "signers": newest.signers})
    return 0
