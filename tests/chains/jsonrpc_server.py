"""A tiny JSON-RPC 2.0 HTTP server on loopback, in a thread: what the chain fronts of the tests serve through.

It stands in for the HTTP side of a real node (geth, a Solana validator's RPC port), so the code under
test talks to it with its ordinary JSON-RPC client, over a real socket. ``handle(method, params)``
answers one call (return the result, or raise ``RpcFault``); batches are answered element-wise.
Misbehaviour modes for the bad-input tests: ``delay_seconds`` (a node that times out) and
``garbage`` (a node answering something that is not JSON).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RpcFault(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JsonRpcServer:
    def __init__(self, handle: Callable[[str, list[Any]], Any]) -> None:
        self.handle = handle
        self.delay_seconds = 0.0
        self.garbage = False
        self.requests = 0
        self.lock = threading.Lock()  # the chains behind are not thread-safe
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                server.requests += 1
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                payload = b"<html>502 Bad Gateway</html>" if server.garbage else server.answer(body)
                try:
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args: object) -> None:
                return None

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def answer(self, body: bytes) -> bytes:
        request = json.loads(body)
        if isinstance(request, list):
            return json.dumps([self._one(item) for item in request]).encode()
        return json.dumps(self._one(request)).encode()

    def _one(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            with self.lock:
                result = self.handle(request["method"], request.get("params", []))
            return {"jsonrpc": "2.0", "id": request["id"], "result": result}
        except RpcFault as fault:
            return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": fault.code, "message": fault.message}}
        except Exception as exc:  # what a node does with a request it cannot serve: an internal error answer
            return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32603, "message": repr(exc)}}

    def __enter__(self) -> JsonRpcServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
