"""The field gate: ``@requires(capability: "…")`` marks the fields the policy gates, and the
gate it attaches checks them on each object they are read on.

The directive is printed in ``schema.graphql`` so that partners read the contract: such a
field is nullable. Only gated fields carry a gate (a strawberry field extension); every other
field resolves untouched. The gate asks ``resolvers.decisions.decide``; a denied field
resolves to null with one ``FORBIDDEN`` error naming the capability, unless it has a fallback
(a site's coordinates fall back to its commune's centre).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.schema_directive import Location
from strawberry.types import Info

from hub.errors import Forbidden
from hub.models import Action, Site, User
from permissions.capabilities import Capability
from permissions.territories import Place, action_place, site_place
from resolvers.audit.entries import ResponsePath
from resolvers.audit.reads import AUDITED_READS
from resolvers.decisions import Verdict, decide, decided

Fallback = Callable[[Any, Info[Any, Any]], Any]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description=(
        "Readable only by callers holding this capability on the object's territory; "
        "others get null and an error with extensions.code FORBIDDEN."
    ),
)
class Requires:
    capability: str


def gated(
    capability: Capability,
    *,
    description: str | None = None,
    name: str | None = None,
    fallback: Fallback | None = None,
) -> Any:
    """A field (or resolver decorator) gated by ``capability``."""
    return strawberry.field(
        description=description,
        name=name,
        directives=[Requires(capability=capability.value)],
        extensions=[Gate(capability, fallback)],
    )


def allowed(capability: Capability, source: Any, info: Info[Any, Any]) -> Verdict:
    """``decide`` for the caller of a GraphQL request."""
    return decide(capability, source, info.context.loaders)


async def holds(capability: Capability, source: Any, info: Info[Any, Any]) -> bool:
    return await decided(capability, source, info.context.loaders)


class Gate(FieldExtension):
    """Resolves the field only for callers holding ``capability`` on the object."""

    def __init__(self, capability: Capability, fallback: Fallback | None = None) -> None:
        self.capability = capability
        self.fallback = fallback
        # Whether its reads are audited: others need no path to record.
        self.audited = capability in AUDITED_READS

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        verdict = allowed(self.capability, source, info)
        if isawaitable(verdict):
            return self._after(verdict, next_, source, info, kwargs)
        if verdict:
            self.audit(source, info)
            return next_(source, info, **kwargs)
        return self.denied(source, info)

    async def resolve_async(
        self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        verdict = allowed(self.capability, source, info)
        if isawaitable(verdict):
            verdict = await verdict
        return await self._resolved(bool(verdict), next_, source, info, kwargs)

    async def _after(
        self,
        verdict: Awaitable[bool],
        next_: Callable[..., Any],
        source: Any,
        info: Info[Any, Any],
        kwargs: dict[str, Any],
    ) -> Any:
        return await self._resolved(await verdict, next_, source, info, kwargs)

    async def _resolved(
        self,
        verdict: bool,
        next_: Callable[..., Any],
        source: Any,
        info: Info[Any, Any],
        kwargs: dict[str, Any],
    ) -> Any:
        if verdict:
            self.audit(source, info)
        result = next_(source, info, **kwargs) if verdict else self.denied(source, info)
        return await result if isawaitable(result) else result

    def audit(self, source: Any, info: Info[Any, Any], at: ResponsePath | None = None) -> None:
        """Records a read of an audited capability's field (``resolvers.audit.reads``) on
        ``source``, which stands at ``at`` in the response (by default, the info's)."""
        if not self.audited:
            return
        if at is None:
            at = tuple(info.path.as_list()[:-1])
        reads = info.context.reads
        if isinstance(source, Site):
            reads.record(self.capability, "site", source.id, site_place(source), at)
        elif isinstance(source, Action):
            reads.record(self.capability, "action", source.id, action_place(source), at)
        elif isinstance(source, User) and source.id != info.context.principal.user_id:
            reads.record(self.capability, "user", source.id, Place(), at)

    def denied(self, source: Any, info: Info[Any, Any]) -> Any:
        """The fallback's value for a caller without the capability, else FORBIDDEN."""
        if self.fallback is not None:
            return self.fallback(source, info)
        raise Forbidden(
            f"Not allowed: reading this field needs {self.capability.value} here.",
            capability=self.capability.value,
        )
