"""The per-request context: settings, the caller, and the request's DataLoaders."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from hub.models.enums import AuditKind
from hub.settings import Settings
from permissions.principal import Principal
from resolvers.audit.entries import AuditBatch
from resolvers.batching import BatchLoad, Priming, Sharing, WaveLoader, Waves

# A factory gives the batch function of one loader, for one principal (or a ``Priming``: a
# batch function that also fills another loader of the request; or a ``Sharing``: one made
# with an object the request's loaders share).
LoaderFactory = Callable[[Principal], BatchLoad[Any, Any] | Priming | Sharing]


@dataclass
class Loaders:
    """DataLoaders built lazily inside the running request, for one principal only.

    Nothing cached here outlives the request, so nothing loaded for one caller can
    reach another.
    """

    principal: Principal
    _waves: Waves = field(default_factory=Waves)
    _built: dict[LoaderFactory, WaveLoader[Any, Any]] = field(default_factory=dict)
    _shared: dict[Callable[[], Any], Any] = field(default_factory=dict)

    def __getitem__(self, factory: LoaderFactory) -> WaveLoader[Any, Any]:
        loader = self._built.get(factory)
        if loader is None:
            batch = factory(self.principal)
            if isinstance(batch, Priming):
                batch = batch.bound(self[batch.target])
            elif isinstance(batch, Sharing):
                if batch.shared not in self._shared:
                    self._shared[batch.shared] = batch.shared()
                batch = batch.make(self._shared[batch.shared])
            loader = WaveLoader(batch, self._waves)
            self._built[factory] = loader
        return loader

    def release(self) -> None:
        """Drops the loaders and the rows they hold, once the operation is over: graphql-core's
        executor keeps itself in a reference cycle, and with it the request's context, so
        what the context holds would otherwise wait for the garbage collector."""
        self._built.clear()
        self._shared.clear()


@dataclass
class Context:
    request: Request | None
    settings: Settings
    principal: Principal
    loaders: Loaders
    # One "today" per request, so that every filter of a response agrees on it.
    today: datetime.date
    # Reads of gated data, written to the audit log at the end of the request.
    reads: AuditBatch = field(default_factory=lambda: AuditBatch(AuditKind.READ))
    # Which executor ran the operation, and why not the compiled one (schema.execution).
    execution: str | None = None
    # Over a WebSocket: what to do when a subscriber falls too far behind, and when the
    # database does not answer while an event is read (the server closes the connection).
    on_overflow: Callable[[], None] | None = None
    on_unavailable: Callable[[], None] | None = None
    # Over HTTP: the client's address (a /64 for IPv6), and a budget counter shared by the
    # hub's workers: ``attempt(key, count, seconds)`` counts one attempt under ``key`` and
    # says whether fewer than ``count`` were made in ``seconds`` (hub.server.ratelimit).
    address: str | None = None
    attempt: Callable[[str, int, int], Awaitable[bool]] | None = None

    def renew(self) -> None:
        """Fresh loaders and day, for each event a subscription resolves: nothing read for
        an earlier event is reused, and the caller may be someone else (``principal``)."""
        self.loaders = Loaders(self.principal)
        self.today = datetime.datetime.now(datetime.UTC).date()

    @classmethod
    def build(cls, request: Request | None, settings: Settings, principal: Principal) -> Context:
        today = datetime.datetime.now(datetime.UTC).date()
        return cls(request, settings, principal, Loaders(principal), today)
