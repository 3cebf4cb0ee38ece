"""``portal policy openpgp-keygen`` and ``portal policy security-txt``: security.txt signed with OpenPGP.

RFC 9116 recommends a cleartext-signed security.txt. The key is an OpenPGP key made with
pysequoia (Sequoia-PGP, maintained); its secret part is stored encrypted with the passphrase from
``PORTAL_KEY_PASSPHRASE`` or a terminal prompt (a password-encrypted OpenPGP message, which
``gpg --decrypt`` opens too), its public part beside it as ``<out>.pub.asc``. The signed file is
made offline from the policy document and served verbatim by the portal from
``PORTAL_SECURITY_TXT``; the server never holds the key.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from policy.document import parse_document
from policy.security_txt import OpenPgpError, generate_key, security_txt_text, sign_cleartext
from portal.cli.output import fail, print_json, say
from portal.cli.passphrase import CliError, passphrase


def register(commands: argparse._SubParsersAction) -> None:
    keygen = commands.add_parser("openpgp-keygen", help="new OpenPGP key for signing security.txt")
    keygen.add_argument("--out", type=Path, required=True, help="encrypted secret key; the public key goes to "
                                                                 "OUT.pub.asc")
    keygen.add_argument("--uid", required=True, help='e.g. "Security <security@migrate.example.org>"')
    keygen.add_argument("--days", type=int, default=730)
    keygen.set_defaults(func=run_openpgp_keygen)
    sec = commands.add_parser("security-txt", help="write security.txt from DOC, cleartext-signed with OpenPGP")
    sec.add_argument("doc", type=Path)
    sec.add_argument("--url", required=True, help="the portal's public URL, e.g. https://migrate.example.org")
    sec.add_argument("--key", type=Path, required=True, help="the secret key from openpgp-keygen")
    sec.add_argument("--out", type=Path, required=True)
    sec.set_defaults(func=run_security_txt)


def run_openpgp_keygen(args: argparse.Namespace) -> int:
    if args.out.exists():
        return fail(f"{args.out} exists; refusing to overwrite a key", 2)
    try:
        secret = passphrase(confirm=True)
        key = generate_key(args.uid, secret, validity=dt.timedelta(days=args.days))
    except CliError as exc:
        return fail(str(exc), exc.exit_code)
    except OpenPgpError as exc:
        return fail(str(exc), 2)
    args.out.write_bytes(key.encrypted_secret)
    args.out.chmod(0o600)
    public = args.out.with_name(args.out.name + ".pub.asc")
    public.write_text(key.public_armored)
    print_json({"fingerprint": key.fingerprint, "secret_key": str(args.out), "public_key": str(public)})
    return 0


def run_security_txt(args: argparse.Namespace) -> int:
    try:
        doc = parse_document(args.doc.read_bytes())
        text = security_txt_text(doc, base_url=args.url.rstrip("/"))
        signed = sign_cleartext(text, args.key.read_bytes(), passphrase(confirm=False))
    except CliError as exc:
        return fail(str(exc), exc.exit_code)
    except (OSError, OpenPgpError, ValueError) as exc:
        return fail(str(exc), 2)
    args.out.write_bytes(signed)
    print_json({"security_txt": str(args.out), "expires": doc.expires.isoformat(),
               "serve_with": f"PORTAL_SECURITY_TXT={args.out}"})
    if (doc.expires - dt.datetime.now(dt.UTC)).days > 365:
        say("note: RFC 9116 wants Expires less than a year ahead")
    return 0
