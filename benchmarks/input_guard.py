"""What the input guard adds to a request, in process: the middleware around a no-op ASGI app.

Alternates rounds of the bare no-op app and the guarded one on the same scopes (an eligibility GET
with browser-like headers, and a decision POST whose JSON body is inspected), and prints the median
cost per call of each and the added microseconds, with the spread over rounds. Compare the added
figure with a whole eligibility request (~60 µs at ~16k req/s on this VM, README).

With ``--before REF`` it also loads the guard as it was at git ``REF`` and runs it in the same
rounds, so the cost of a change to the guard is read side by side (issue 19: the bounds on depth,
query, headers and fields against the guard before them).

    python benchmarks/input_guard.py [--rounds 15] [--calls 20000] [--before REF]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
import types
from pathlib import Path

from litestar import Litestar, post
from litestar.params import JSONBody

from portal.http import review
from portal.http.input_guard import InputGuardMiddleware

HEADERS = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"),
           (b"accept", b"application/json"), (b"accept-encoding", b"gzip, deflate, br"),
           (b"accept-language", b"en-GB,en;q=0.9"), (b"connection", b"keep-alive")]
BODY = b'{"decision":"reject","reason":"the signature was made by another key\\nsee evidence","public_note":"sorry"}'


async def noop(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["method"] == "POST":
        await receive()


async def receive() -> dict:
    return {"type": "http.request", "body": BODY, "more_body": False}


async def send(message: dict) -> None:
    pass


@post("/v1/review/requests/{request_id:str}/decision", sync_to_thread=False)
def decide(data: JSONBody[review.DecisionCreate], request_id: str) -> None:
    """The decision route's body, registered in an app so its body limit resolves as in production."""


def decision_handler():  # type: ignore[no-untyped-def]
    app = Litestar(route_handlers=[decide])
    return next(handler for route in app.routes for handler in route.route_handlers)  # type: ignore[attr-defined]


def scopes() -> dict[str, dict]:
    get = {"type": "http", "method": "GET", "path": "/v1/eligibility/0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
           "query_string": b"", "headers": HEADERS, "route_handler": None,
           "path_params": {"address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}}
    post = {**get, "method": "POST", "path": "/v1/review/requests/x/decision", "route_handler": decision_handler(),
            "headers": [*HEADERS, (b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
            "path_params": {}}
    return {"eligibility GET": get, "decision POST": post}


async def per_call_us(app, scope: dict, calls: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(calls):
        await app(scope, receive, send)
    return (time.perf_counter() - started) / calls * 1e6


def guard_at(ref: str) -> type:
    """``InputGuardMiddleware`` as it was at git ``ref`` (its imports resolve against today's tree)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{ref}:portal/http/input_guard.py"], cwd=root, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType(f"input_guard_{ref}")
    exec(compile(source, f"{ref}:portal/http/input_guard.py", "exec"), module.__dict__)  # noqa: S102 (our own file)
    return module.InputGuardMiddleware


async def main(rounds: int, calls: int, before: str | None) -> None:
    guards = {"guarded": InputGuardMiddleware(noop)}
    if before:
        guards[f"at {before}"] = guard_at(before)(noop)
    for label, scope in scopes().items():
        runs: dict[str, list[float]] = {"bare": [], **{name: [] for name in guards}}
        for _ in range(rounds):
            runs["bare"].append(await per_call_us(noop, scope, calls))
            for name, guard in guards.items():
                runs[name].append(await per_call_us(guard, scope, calls))
        parts = [f"bare {statistics.median(runs['bare']):.2f} µs"]
        for name in guards:
            added = [g - b for g, b in zip(runs[name], runs["bare"], strict=True)]
            parts.append(f"{name} {statistics.median(runs[name]):.2f} µs, added {statistics.median(added):.2f} µs "
                         f"(range {min(added):.2f}-{max(added):.2f})")
        print(f"{label}: " + "; ".join(parts) + f" over {rounds} rounds")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--before", metavar="REF", help="also run the guard as it was at this git ref")
    options = parser.parse_args()
    asyncio.run(main(options.rounds, options.calls, options.before))
