"""``portal policy verify``: a policy version, a trust root's chain or a release, offline or from a URL.

Apart from the authoring commands in ``portal.cli.policy`` (which registers this one): verifying is
what anyone does, with only the public files. ``one_line`` and ``now_from`` serve both modules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
from pathlib import Path

import msgspec

from policy.chain import SeenState, verify_served
from policy.document import PolicyDocument, parse_document
from policy.errors import PolicyError
from policy.release import check_release, entries_path, is_release, parse_release
from policy.remote import FetchError, fetch_served
from policy.root import parse_root
from policy.signatures import load_signatures, sig_path
from policy.verify import check_policy
from portal.cli.output import fail, print_json, say
from portal.cli.passphrase import CliError

TOKEN_ENV = "PORTAL_TOKEN"  # noqa: S105 - the variable's name, not a secret


def one_line(func):
    """Turn the expected failures of a command into one line on stderr and an exit code."""
    def run(args: argparse.Namespace, **kwargs: object) -> int:
        try:
            return func(args, **kwargs)
        except CliError as exc:
            return fail(str(exc), exc.exit_code)
        except PolicyError as exc:
            return fail(f"{exc.code}: {exc}", 2)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            return fail(str(exc), 2)
    run.__doc__ = func.__doc__
    return run


def now_from(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC)
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise CliError("--now: give a timezone (e.g. 2027-01-01T00:00:00Z)")
    return moment


@one_line
def run_verify(args: argparse.Namespace) -> int:
    if args.url:
        return _verify_url(args)
    if args.doc is None or args.root is None:
        raise CliError("give DOC and --root root.toml, or --url https://host/policy/<slug> with --root-sha256")
    if is_release(args.doc.read_bytes()):
        return _verify_release_file(args)
    doc = parse_document(args.doc.read_bytes())
    root = parse_root(args.root.read_bytes())
    previous = parse_document(args.prev.read_bytes()) if args.prev else _previous_beside(args.doc, doc)
    signatures = load_signatures(sig_path(args.doc))
    result = check_policy(doc, signatures, root, previous=previous, now=now_from(args.now))
    print_json(result)
    if not result.ok:
        return fail("; ".join(f"{p.code}: {p.message}" for p in result.problems))
    return 0


def _previous_beside(path: Path, doc: PolicyDocument) -> PolicyDocument | None:
    """Version n > 1 is checked against version n - 1: the file beside it whose sha256 is its ``prev``."""
    if doc.version == 1:
        return None
    for candidate in sorted(path.parent.glob("*.md")):
        if candidate != path and hashlib.sha256(candidate.read_bytes()).hexdigest() == doc.prev:
            say(f"note: checking the chain against {candidate} (version {doc.version - 1}, found beside {path.name})")
            return parse_document(candidate.read_bytes())
    raise CliError(f"{path} is version {doc.version}: verifying it needs version {doc.version - 1}, the file whose "
                   f"sha256 is its prev {doc.prev[:12]}…; pass it with --prev FILE or put it beside {path.name} "
                   "(or verify what a portal serves with --url)")


def _verify_release_file(args: argparse.Namespace) -> int:
    """A release offline: signatures, the chain to ``--prev``, and the entries file beside it."""
    release = parse_release(args.doc.read_bytes())
    root = parse_root(args.root.read_bytes())
    previous = parse_release(args.prev.read_bytes()) if args.prev else None
    if previous is None and release.number > 1:
        say("note: no --prev given; the number and prev are checked only against release 1")
    entries_file = args.doc.with_name(entries_path(args.doc.name))
    entries = entries_file.read_bytes() if entries_file.exists() else None
    if entries is None:
        say(f"note: no {entries_file.name} beside the document; the entries and root are not checked")
    unchained = previous is None and release.number > 1
    result = check_release(release, load_signatures(sig_path(args.doc)), root, previous=previous,
                           entries_bytes=entries)
    problems = [p for p in result.problems if not (unchained and p.code == "not_next_number")]
    print_json(msgspec.structs.replace(result, ok=not problems, problems=problems))
    if problems:
        return fail("; ".join(f"{p.code}: {p.message}" for p in problems))
    return 0


def _verify_url(args: argparse.Namespace) -> int:
    """Fetch everything from the portal, then verify it from the root the user holds (TUF-style walk)."""
    if (args.root is None) == (args.root_sha256 is None):
        raise CliError("with --url, give exactly one of --root root.toml or --root-sha256 HEX")
    trusted = parse_root(args.root.read_bytes()) if args.root else None
    seen = None
    if args.state and args.state.exists():
        seen = msgspec.json.decode(args.state.read_bytes(), type=SeenState)
    try:
        served = fetch_served(args.url, trusted_root=trusted, trusted_sha256=args.root_sha256)
        result = verify_served(served.trusted, served.roots, served.versions, parse_document(served.current_raw),
                               now=now_from(args.now), seen=seen)
    except FetchError as exc:
        raise CliError(str(exc)) from None
    except PolicyError as exc:
        raise CliError(f"{exc.code}: {exc}", 1) from None
    if args.state:
        args.state.write_bytes(msgspec.json.encode(result.state))
    print_json(result)
    return 0


