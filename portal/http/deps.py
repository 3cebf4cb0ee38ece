"""Dependencies handlers receive by Litestar's injection (registered once, in ``create_app``).

``ctx``: the ``UseCaseContext`` a use case takes (``portal.domain.context``); a handler passes it on
with one request Struct and never unpacks it. ``staff``: the authenticated staff principal
(``portal.http.auth``).
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency

from portal.domain.context import UseCaseContext

# A handler's parameter ``ctx: Ctx``: Litestar wants a named dependency marked as one.
Ctx = NamedDependency[UseCaseContext]


def provide_ctx(state: State) -> UseCaseContext:
    return state.runtime.ctx


Ctx = NamedDependency[UseCaseContext]
"""A handler's ``ctx: Ctx`` parameter receives the ``UseCaseContext`` (``provide_ctx``)."""
