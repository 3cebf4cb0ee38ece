"""Interim bridge to the holder-server contract (per-request destination, one-line text, answers).

The pages are written against the shared contract that h11s builds (``challenges.issue(...,
destination_chain=, message_style=, chain=)``, ``settings.destination_chains``,
``requests.holder_view(..., settings=)``, ``portal.domain.answers``). Until that lands on main this
module calls what exists; it is deleted when it does.
"""

from __future__ import annotations

import inspect
from typing import Any

from portal.domain import challenges, requests
from portal.errors import UpstreamUnavailableError
from portal.services import Services

_NEW_ISSUE = "destination_chain" in inspect.signature(challenges.issue).parameters
_NEW_VIEW = "settings" in inspect.signature(requests.holder_view).parameters


def destination_chains(services: Services) -> tuple[str, ...]:
    chains = getattr(services.settings, "destination_chains", None)
    return tuple(chains) if chains else (services.settings.destination_chain,)  # type: ignore[attr-defined]


async def issue(services: Services, **kwargs: Any) -> Any:
    extra = {"destination_chain": kwargs.pop("destination_chain"), "message_style": kwargs.pop("message_style"),
             "chain": services.evm_chain}
    return await challenges.issue(services.db, snapshots=services.snapshots, settings=services.settings,
                                  now=services.clock(), **kwargs, **(extra if _NEW_ISSUE else {}))


async def holder_view(services: Services, request_id: Any, token: str | None) -> Any:
    if _NEW_VIEW:
        return await requests.holder_view(services.db, request_id, token, settings=services.settings)
    return await requests.holder_view(services.db, request_id, token)


async def answer(services: Services, request_id: Any, token: str | None, text: str, meta: Any) -> Any:
    try:
        from portal.domain import answers
    except ImportError:
        raise UpstreamUnavailableError("answering needs the server's answers contract") from None
    return await answers.answer(services.db, request_id, token, answers.AnswerSubmission(text),
                                settings=services.settings, chain=services.evm_chain, now=services.clock(), meta=meta)
