"""Claim status of Solana releases: the distributor's ClaimStatus accounts, read in batches.

Why accounts and not events: the jup-ag/Jito merkle-distributor's ``new_claim`` creates one
ClaimStatus account per claimant, at the PDA ``["ClaimStatus", claimant, distributor]`` of the
distributor program, so "does that account exist, owned by the program" is the claim status. Its
layout changed between program versions (a bonus field was added), so only the owner is checked,
never the bytes. The account holds no time and no transaction: a claim is recorded as first seen
at the pass that found it.

``getMultipleAccounts`` takes at most 100 addresses, so a release of n entries costs ⌈n/100⌉
calls; each has a timeout, one retry and the RPC latency metric, like the EVM reader's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from solders.pubkey import Pubkey

from portal.errors import RpcUnavailableError

OnCall = Callable[[str, float], None]
BATCH = 100
ATTEMPTS = 2
SEED = b"ClaimStatus"


def claim_status_address(program: str, distributor: str, claimant: str) -> str:
    """The PDA ``new_claim`` creates for ``claimant`` under ``distributor``."""
    pda, _ = Pubkey.find_program_address(
        [SEED, bytes(Pubkey.from_string(claimant)), bytes(Pubkey.from_string(distributor))],
        Pubkey.from_string(program))
    return str(pda)


def _ignore(method: str, seconds: float) -> None:
    return None


class SolanaClaimReader:
    """Reads which ClaimStatus accounts exist; ``calls`` counts RPC requests."""

    def __init__(self, url: str, *, timeout_seconds: float, on_call: OnCall | None = None,
                 retry_delay: float = 0.2) -> None:
        self.url = url
        self.client = httpx.Client(timeout=timeout_seconds)
        self.on_call = on_call or _ignore
        self.retry_delay = retry_delay
        self.calls = 0

    def close(self) -> None:
        self.client.close()

    def _rpc(self, method: str, params: list) -> dict:
        for attempt in range(ATTEMPTS):
            started = time.perf_counter()
            self.calls += 1
            try:
                answer = self.client.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                          "params": params}).json()
                if "error" in answer:
                    raise RuntimeError(str(answer["error"]))
                return answer["result"]
            except Exception as exc:
                if attempt + 1 == ATTEMPTS:
                    raise RpcUnavailableError(f"the Solana node did not answer {method} ({type(exc).__name__})"
                                              ) from exc
                time.sleep(self.retry_delay)
            finally:
                self.on_call(method, time.perf_counter() - started)
        raise AssertionError("unreachable")

    def claimed(self, program: str, addresses: list[str]) -> tuple[list[bool], int]:
        """Whether each address holds an account owned by ``program``, and the slot it was read at."""
        found: list[bool] = []
        slot = 0
        for start in range(0, len(addresses), BATCH):
            result = self._rpc("getMultipleAccounts", [addresses[start:start + BATCH],
                                                       {"encoding": "base64", "commitment": "confirmed",
                                                        "dataSlice": {"offset": 0, "length": 0}}])
            slot = max(slot, int(result["context"]["slot"]))
            found += [account is not None and account.get("owner") == program for account in result["value"]]
        return found, slot
