"""What the event stream says of a change: the routing part of an event row, as JSON."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from hub.models.enums import EventKind
from hub.models.events import Event


@dataclass(frozen=True)
class Announcement:
    id: int
    at: datetime.datetime
    kind: EventKind
    subject_type: str
    subject_id: int
    site_id: int | None
    action_id: int | None
    region: str | None
    departement: str | None
    epci: str | None
    commune: str | None
    changes: tuple[str, ...]
    user_id: int | None
    application_id: int | None

    @classmethod
    def of(cls, event: Event) -> Announcement:
        # A model holds its columns as attributes of the same names.
        return cls.of_row(vars(event))

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Announcement:
        """From a row of the event table as the driver reads it (``changes`` as JSON text)."""
        changes = row["changes"]
        return cls(
            row["id"],
            row["at"],
            EventKind(row["kind"]),
            row["subject_type"],
            row["subject_id"],
            row["site_id"],
            row["action_id"],
            row["region_code"],
            row["departement_code"],
            row["epci_code"],
            row["commune_scope_code"],
            tuple(orjson.loads(changes) if isinstance(changes, str | bytes) else changes),
            row["user_id"],
            row["application_id"],
        )

    def event(self) -> Event:
        """The event row it announces, without reading it again."""
        return Event(
            id=self.id,
            at=self.at,
            kind=self.kind,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            site_id=self.site_id,
            action_id=self.action_id,
            region_code=self.region,
            departement_code=self.departement,
            epci_code=self.epci,
            commune_scope_code=self.commune,
            changes=list(self.changes),
            user_id=self.user_id,
            application_id=self.application_id,
        )

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> Announcement:
        """Refuses (ValueError, KeyError, TypeError) what another version of the hub might
        send in a shape this one does not know."""
        data = orjson.loads(text)
        data["at"] = datetime.datetime.fromisoformat(data["at"])
        data["kind"] = EventKind(data["kind"])
        data["changes"] = tuple(data["changes"])
        return cls(**data)
