"""The policy handlers' own dependency, the policy's trust anchor (``Ctx`` is ``portal.http.deps``'s).

The anchor (``Runtime.policy_root``, loaded once
from ``PORTAL_POLICY_ROOT``) is an HTTP-edge resource, not part of the ``UseCaseContext``: only the
policy routes need it, so a route declares ``dependencies=ANCHOR``, takes ``anchor: TrustAnchor`` and
passes it to the use case beside ``ctx``.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from portal.domain.policy_roots import Anchor
from portal.http.deps import Ctx

__all__ = ["ANCHOR", "Ctx", "TrustAnchor", "provide_anchor"]

TrustAnchor = NamedDependency[Anchor | None]


def provide_anchor(state: State) -> Anchor | None:
    return state.runtime.policy_root


ANCHOR = {"anchor": Provide(provide_anchor, sync_to_thread=False)}
