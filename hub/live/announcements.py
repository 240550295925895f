"""What the event stream says of a change: the routing part of an event row, as JSON."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson

from hub.models.enums import EventKind
from hub.models.events import Event


@dataclass(frozen=True)
class Announcement:
    """An event row's columns (``hub.models.events``), under the same names."""

    id: int
    at: datetime.datetime
    kind: EventKind
    subject_type: str
    subject_id: int
    site_id: int | None
    action_id: int | None
    region_code: str | None
    departement_code: str | None
    epci_code: str | None
    commune_scope_code: str | None
    changes: tuple[str, ...]
    user_id: int | None
    application_id: int | None

    @classmethod
    def of(cls, event: Event) -> Announcement:
        # A model holds its columns as attributes of the same names.
        return cls.of_row(vars(event))

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Announcement:
        """From a row of the event table as a driver or a model holds it (``changes`` as
        JSON text or as a list)."""
        values = {name: row[name] for name in COLUMNS}
        changes = values["changes"]
        values["changes"] = tuple(
            orjson.loads(changes) if isinstance(changes, str | bytes) else changes
        )
        values["kind"] = EventKind(values["kind"])
        return cls(**values)

    def event(self) -> Event:
        """The event row it announces, without reading it again."""
        return Event(**(asdict(self) | {"changes": list(self.changes)}))

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Announcement:
        """Refuses (ValueError, KeyError, TypeError) what another version of the hub might
        send in a shape this one does not know."""
        data = orjson.loads(text)
        data["at"] = datetime.datetime.fromisoformat(data["at"])
        return cls.of_row(data)


COLUMNS = tuple(column.name for column in fields(Announcement))
