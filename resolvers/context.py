"""The per-request context: settings, the caller, and the request's DataLoaders."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiodataloader import DataLoader
from starlette.requests import Request

from hub.settings import Settings
from permissions.principal import Principal

LoaderFactory = Callable[[Principal], DataLoader[Any, Any]]


@dataclass
class Loaders:
    """DataLoaders built lazily inside the running request, for one principal only.

    Nothing cached here outlives the request, so nothing loaded for one caller can
    reach another.
    """

    principal: Principal
    _built: dict[LoaderFactory, DataLoader[Any, Any]] = field(default_factory=dict)

    def __getitem__(self, factory: LoaderFactory) -> DataLoader[Any, Any]:
        loader = self._built.get(factory)
        if loader is None:
            loader = self._built[factory] = factory(self.principal)
        return loader


@dataclass
class Context:
    request: Request | None
    settings: Settings
    principal: Principal
    loaders: Loaders
    # One "today" per request, so that every filter of a response agrees on it.
    today: datetime.date

    @classmethod
    def build(cls, request: Request | None, settings: Settings, principal: Principal) -> Context:
        today = datetime.datetime.now(datetime.UTC).date()
        return cls(request, settings, principal, Loaders(principal), today)
