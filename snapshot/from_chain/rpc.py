"""A small JSON-RPC 2.0 client over HTTP for the chain readers: timeouts, retries with backoff, batches, logs.

Why not web3's provider or a Solana SDK: both readers need the same four things from their node and
nothing else, namely a hard timeout per call, retries with exponential backoff on transport trouble
(never on an answer the node meant, such as "too many results", which the caller acts on), JSON-RPC
batches (``balanceOf`` for every holder), and one log line per call with its latency. web3's
``HTTPProvider`` retries only some methods and hides batch errors inside exceptions per call; no Solana
client is a dependency of this project. httpx does the HTTP.

Invariants: ``call`` returns the ``result`` of a well-formed answer or raises exactly one
``ChainError`` (``RpcError`` when the node answered with a JSON-RPC error object, with its code and
message); an answer that is not JSON-RPC (garbage, HTML, wrong ids) is a ``ChainError`` after the
retries, never a partial result. ``on_call(method, seconds)`` is called once per HTTP attempt.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import msgspec

from snapshot.errors import ChainError

logger = logging.getLogger("snapshot.rpc")
OnCall = Callable[[str, float], None]
#: HTTP statuses worth another attempt: the node is overloaded or restarting, not refusing the request.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RpcError(ChainError):
    """The node answered with a JSON-RPC error object: it understood the request and refused it."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        super().__init__(f"{method}: the node answered error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message


class _Answer(msgspec.Struct):
    jsonrpc: str = ""
    id: int | str | None = None
    result: Any = msgspec.UNSET
    error: Any = msgspec.UNSET


_one = msgspec.json.Decoder(_Answer)
_many = msgspec.json.Decoder(list[_Answer])


def _ignore(method: str, seconds: float) -> None:
    return None


class JsonRpcClient:
    """JSON-RPC over HTTP POST. ``retries`` more attempts after the first, waiting ``backoff_seconds``
    times 2**attempt between them (0 retries for the server's proof checks: a holder waits)."""

    def __init__(self, url: str, *, timeout_seconds: float = 10.0, retries: int = 4, backoff_seconds: float = 0.5,
                 on_call: OnCall | None = None, client: httpx.Client | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ChainError(f"RPC URL must start with http:// or https://, got {url!r}")
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.on_call = on_call or _ignore
        self.calls = 0  # HTTP requests sent, retries included (the benchmarks count them)
        self._ids = itertools.count(1)
        self._http = client or httpx.Client(timeout=timeout_seconds)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JsonRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        request_id = next(self._ids)
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)
                if not isinstance(params, dict) else params}
        answer = self._post(method, body, lambda raw: [_one.decode(raw)])[0]
        return _result(method, answer, request_id)

    def batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        """One HTTP request carrying ``len(params_list)`` calls of ``method``; results in the same order.

        Any error object in the answer raises (naming the first): the caller needs every result.
        """
        if not params_list:
            return []
        ids = [next(self._ids) for _ in params_list]
        body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": list(params)}
                for i, params in zip(ids, params_list, strict=True)]
        answers = self._post(f"{method} x{len(body)}", body, _many.decode)
        by_id = {answer.id: answer for answer in answers}
        if len(by_id) != len(ids) or set(by_id) != set(ids):
            raise ChainError(f"{method}: the node answered a batch of {len(ids)} with {len(answers)} answers "
                             "whose ids do not match the requests")
        return [_result(method, by_id[i], i) for i in ids]

    def _post(self, label: str, body: object, decode: Callable[[bytes], list[_Answer]]) -> list[_Answer]:
        payload = msgspec.json.encode(body)
        attempts = self.retries + 1
        for attempt in range(attempts):
            started = time.perf_counter()
            self.calls += 1
            try:
                response = self._http.post(self.url, content=payload, headers={"content-type": "application/json"},
                                           timeout=self.timeout_seconds)
                if response.status_code in RETRY_STATUSES:
                    raise _Retry(f"HTTP {response.status_code}")
                if response.status_code >= 400 and not response.content.lstrip().startswith((b"{", b"[")):
                    raise ChainError(f"{label}: the node answered HTTP {response.status_code}")
                try:
                    answers = decode(response.content)
                except msgspec.DecodeError as exc:
                    raise _Retry(f"not a JSON-RPC answer ({exc})") from None
            except (_Retry, httpx.TransportError) as exc:
                seconds = time.perf_counter() - started
                self.on_call(label.split(" ", 1)[0], seconds)
                reason = f"timed out after {self.timeout_seconds:g} s" if isinstance(exc, httpx.TimeoutException) \
                    else str(exc) or type(exc).__name__
                if attempt + 1 == attempts:
                    logger.error("rpc %s failed after %d attempt(s): %s", label, attempts, reason)
                    raise ChainError(f"{label}: {reason} ({attempts} attempt(s) to {self.url})") from None
                wait = self.backoff_seconds * 2 ** attempt
                logger.warning("rpc %s attempt %d/%d: %s; retrying in %.2f s", label, attempt + 1, attempts,
                               reason, wait)
                time.sleep(wait)
                continue
            seconds = time.perf_counter() - started
            self.on_call(label.split(" ", 1)[0], seconds)
            logger.info("rpc %s: %d bytes in %.1f ms", label, len(response.content), seconds * 1000)
            return answers
        raise AssertionError("unreachable")


class _Retry(Exception):
    """An attempt that may succeed if repeated (overloaded node, truncated answer)."""


def _result(method: str, answer: _Answer, request_id: int) -> Any:
    if answer.id != request_id:
        raise ChainError(f"{method}: the node answered id {answer.id!r} to request {request_id}")
    if answer.error is not msgspec.UNSET and answer.error is not None:
        error = answer.error if isinstance(answer.error, dict) else {"message": str(answer.error)}
        code = error.get("code")
        raise RpcError(method, code if isinstance(code, int) else None, str(error.get("message", "")))
    if answer.result is msgspec.UNSET:
        raise ChainError(f"{method}: the node's answer has neither result nor error")
    return answer.result
