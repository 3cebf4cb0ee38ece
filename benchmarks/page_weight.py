"""Issue 11: each holder page's weight (HTML + same-origin JS + CSS) against 60 KB, and the
WalletConnect bundle's size apart.

Starts a real ``portal serve --demo`` on loopback (the demo snapshots and the signed DEMO policy, so
the banner is the real one; a dummy WalletConnect project id so the sign page carries its section),
walks every page of ``portal/http/pages`` with the demo data -- home, an eligible and a
non-eligible result, each question of ``/prove``, "check your answers", the sign page, the
confirmation after a real signature by the demo's public Hardhat key #0, the request lookup and the
request's status page -- and follows each page's ``<link rel=stylesheet>`` and ``<script src>``
plus the modules they import statically. Modules loaded with ``import()`` (WalletConnect's
controller, only when that way is chosen) are listed apart, like the bundle.

    python benchmarks/page_weight.py
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_process

TARGET_BYTES = 60 * 1024
EVM_HOLDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # Hardhat/Anvil test key #0: public, DEMO only
EVM_HOLDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
NOT_HOLDER = "0x" + "00" * 19 + "01"
DESTINATION = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
STATIC_IMPORT = re.compile(r"""(?:^|[;\n])\s*(?:import|export)\s[^;'"]*?from\s*["']([^"']+)["']|"""
                           r"""(?:^|[;\n])\s*import\s*["']([^"']+)["']""", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"""import\(\s*["']([^"']+)["']\s*\)""")


@contextlib.contextmanager
def demo_server(env: dict[str, str] | None = None, *, server: str | None = None, workers: int = 1) -> Iterator[str]:
    """``portal serve --demo`` on a free loopback port, in a fresh directory; yields the base URL."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        # serve.log goes to tmp; the demo wants an empty (or its own) data dir, so it gets a subdirectory.
        child_env = {"PORTAL_DATA_DIR": str(Path(tmp) / "demo"), **(env or {})}
        with portal_process(Path(tmp), [], env=child_env, extra_args=["--demo"], server=server, workers=workers,
                            ready_timeout=120) as (base, _):
            yield base


class Assets(HTMLParser):
    """Stylesheets, module scripts and the WalletConnect bundle named by one page."""

    def __init__(self) -> None:
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.bundles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and "stylesheet" in (found.get("rel") or "").split() and found.get("href"):
            self.styles.append(found["href"] or "")
        if tag == "script" and found.get("src"):
            self.scripts.append(found["src"] or "")
        if found.get("data-bundle"):
            self.bundles.append(found["data-bundle"] or "")


def fetch(base: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(base + path, data=data)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Sizer:
    """Fetches each same-origin asset once and remembers its size and its static imports."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.sizes: dict[str, int] = {}
        self.imports: dict[str, tuple[list[str], list[str]]] = {}

    def size(self, url: str) -> int:
        if url not in self.sizes:
            status, body = fetch(self.base, url)
            if status != 200:
                raise RuntimeError(f"{url}: {status}")
            self.sizes[url] = len(body)
            text = body.decode(errors="replace")
            resolve = lambda spec: urllib.parse.urlsplit(urllib.parse.urljoin(url, spec)).path  # noqa: E731
            static = [resolve(a or b) for a, b in STATIC_IMPORT.findall(text) if (a or b).startswith(".")]
            dynamic = [resolve(s) for s in DYNAMIC_IMPORT.findall(text) if s.startswith(".")]
            self.imports[url] = (static, dynamic)
        return self.sizes[url]

    def module_graph(self, roots: list[str]) -> tuple[set[str], set[str]]:
        """Modules loaded up front from ``roots`` (static imports, transitively) and those only imported
        dynamically from them."""
        eager: set[str] = set()
        todo = list(roots)
        while todo:
            url = todo.pop()
            if url in eager:
                continue
            self.size(url)
            eager.add(url)
            todo += self.imports[url][0]
        lazy_roots = {d for url in eager for d in self.imports[url][1]} - eager
        lazy: set[str] = set()
        todo = list(lazy_roots)
        while todo:
            url = todo.pop()
            if url in lazy or url in eager:
                continue
            self.size(url)
            lazy.add(url)
            todo += self.imports[url][0]
        return eager, lazy


def same_origin(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    return None if parts.scheme or parts.netloc else parts.path + (f"?{parts.query}" if parts.query else "")


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def walk(base: str) -> Iterator[tuple[str, int, bytes]]:
    """(label, status, HTML) for every holder page reachable with the demo data."""
    import html as html_lib
    import json

    from eth_account import Account
    from eth_account.messages import encode_defunct

    yield "/", *fetch(base, "/")
    yield "/eligibility (eligible)", *fetch(base, f"/eligibility?address={EVM_HOLDER}")
    yield "/eligibility (not eligible)", *fetch(base, f"/eligibility?address={NOT_HOLDER}")
    yield "/eligibility (bad address, 400)", *fetch(base, "/eligibility?address=0x12")
    answers: dict[str, str] = {}
    yield "/prove: address", *fetch(base, "/prove")
    for name, value in (("address", EVM_HOLDER), ("chain", "evm"), ("wallet", "browser"),
                        ("destination", DESTINATION)):
        answers[name] = value
        label = {"address": "chain", "chain": "wallet", "wallet": "destination", "destination": "check answers"}
        yield f"/prove: {label[name]}", *fetch(base, "/prove?" + urllib.parse.urlencode(answers))
    yield "/prove: exchange stop", *fetch(base, "/prove?" + urllib.parse.urlencode({**answers, "wallet": "exchange"}))
    status, sign = fetch(base, "/prove/challenge", answers)
    yield "/prove/challenge: sign", status, sign
    data = json.loads(html_lib.unescape(re.search(
        rb'<script type="application/json" id="challenge-data">(.*?)</script>', sign, re.S).group(1).decode()))
    signature = Account.sign_message(encode_defunct(text=data["message"]), EVM_HOLDER_KEY).signature.hex()
    yield "/prove/submit: not accepted", *fetch(base, "/prove/submit", {
        **answers, "challenge_id": data["challenge_id"], "method": data["method"], "proof": "0x" + "00" * 65})
    status, confirmation = fetch(base, "/prove/submit", {
        **answers, "challenge_id": data["challenge_id"], "method": data["method"], "proof_kind": "signature",
        "proof": signature if signature.startswith("0x") else "0x" + signature})
    yield "/prove/submit: confirmation", status, confirmation
    request_id = re.search(rb'/requests/([0-9a-f-]{36})', confirmation).group(1).decode()
    token = html_lib.unescape(re.search(rb'#token=([^"&<]+)', confirmation).group(1).decode())
    yield "/requests", *fetch(base, "/requests")
    yield "/requests/{id}: token form", *fetch(base, f"/requests/{request_id}")
    yield "/requests/{id}: status", *fetch(base, f"/requests/{request_id}", {"status_token": token})


def main() -> int:
    env = {"PORTAL_WALLETCONNECT_PROJECT_ID": "0123456789abcdef0123456789abcdef", "PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
    with demo_server(env) as base:
        sizer = Sizer(base)
        bundles: set[str] = set()
        lazy_all: set[str] = set()
        rows = []
        for label, status, body in walk(base):
            parser = Assets()
            parser.feed(body.decode(errors="replace"))
            styles = [u for u in map(same_origin, parser.styles) if u]
            scripts = [u for u in map(same_origin, parser.scripts) if u]
            bundles |= {u for u in map(same_origin, parser.bundles) if u}
            eager, lazy = sizer.module_graph(scripts)
            lazy_all |= lazy
            css = sum(sizer.size(u) for u in set(styles))
            js = sum(sizer.sizes[u] for u in eager)
            rows.append((label, status, len(body), js, css, len(eager)))
        print(f"{'page':34s} {'status':>6s} {'HTML':>8s} {'JS':>8s} {'CSS':>8s} {'total':>8s}  vs 60 KB")
        for label, status, html, js, css, modules in rows:
            total = html + js + css
            verdict = "ok" if total <= TARGET_BYTES else "OVER"
            print(f"{label:34s} {status:6d} {html:8d} {js:8d} {css:8d} {total:8d}  {total / 1024:5.1f} KB "
                  f"{verdict} ({modules} JS modules)")
        heaviest = max(rows, key=lambda r: r[2] + r[3] + r[4])
        print(f"heaviest: {heaviest[0]} {sum(heaviest[2:5]) / 1024:.1f} KB of {TARGET_BYTES / 1024:.0f} KB")
        lazy_bytes = sum(sizer.sizes[u] for u in lazy_all)
        print(f"loaded only when WalletConnect is chosen: {', '.join(sorted(lazy_all)) or '-'}: {lazy_bytes} bytes")
        for url in sorted(bundles):
            size = sizer.size(url)
            print(f"WalletConnect bundle {url}: {size} bytes ({size / 1024:.1f} KB)")
        if not bundles:
            print("WalletConnect bundle: not named by any page")
    return 0 if all(sum(r[2:5]) <= TARGET_BYTES for r in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
