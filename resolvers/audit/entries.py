"""Audit entries: how one is made, and how a request's reads or an export's rows gather
into few entries.

``record`` notes one object (for a gated read, the capability; for an export, the export's
operation); ``write`` writes what was recorded, one entry per operation, type and
département with every object's id, so auditing never costs a query per object.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hub.models import AuditEntry
from hub.models.enums import AuditKind
from hub.models.records import insert_rows
from permissions.principal import Principal
from permissions.territories import Place


def audit_fields(
    kind: AuditKind,
    operation: str,
    principal: Principal,
    subject_type: str,
    subject_ids: list[int],
    place: Place,
    at: datetime.datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One entry's fields; it stands where ``place`` is, for ``audit.read`` holders there."""
    return {
        "at": at,
        "kind": kind,
        "operation": operation,
        "user_id": principal.user_id,
        "application_id": principal.application_id,
        "subject_type": subject_type,
        "subject_ids": subject_ids,
        "region_code": place.region,
        "departement_code": place.departement,
        "epci_code": place.epci,
        "commune_scope_code": place.commune,
        "details": details or {},
    }


# Where a read object stands in a GraphQL response: its path (keys and list indexes).
ResponsePath = tuple[str | int, ...]


@dataclass
class AuditBatch:
    kind: AuditKind
    _ids: defaultdict[tuple[str, str, Place], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # Reads of objects of a GraphQL response, kept only if the object is in it (``sent``).
    _answered: list[tuple[ResponsePath, str, str, int, Place]] = field(default_factory=list)

    def record(
        self,
        operation: str,
        subject_type: str,
        key: int,
        place: Place,
        at: ResponsePath | None = None,
    ) -> None:
        """Notes one object; ``at``: where it stands in a GraphQL response."""
        if at is not None:
            self._answered.append((at, operation, subject_type, key, place))
            return
        # One entry per département: finer places would split a list into many entries.
        where = Place(place.region, place.departement)
        # str(): a Capability (a StrEnum) is stored as its plain value.
        self._ids[(str(operation), subject_type, where)].add(key)

    def sent(self, data: object) -> None:
        """Keeps the reads of the objects that ``data`` (the response) holds: an object that
        a field error took out of the response was not read by the caller."""
        for at, operation, subject_type, key, place in self._answered:
            if _holds(data, at):
                self.record(operation, subject_type, key, place)
        self._answered = []

    async def write(self, principal: Principal, empty: tuple[str, str] | None = None) -> None:
        """Writes the recorded objects' entries and forgets them. With nothing recorded,
        ``empty`` (an operation and a type) still gets one entry with no ids: an export
        that sent no row is audited all the same."""
        ids = dict(self._ids)
        if not ids and empty is not None:
            ids[(*empty, Place())] = set()
        if not ids:
            return
        at = datetime.datetime.now(datetime.UTC)
        await insert_rows(
            AuditEntry,
            [
                audit_fields(self.kind, operation, principal, subject_type, sorted(keys), place, at)
                for (operation, subject_type, place), keys in ids.items()
            ],
        )
        self._ids.clear()


def _holds(data: object, at: ResponsePath) -> bool:
    for key in at:
        if isinstance(key, int):
            if not isinstance(data, list) or key >= len(data):
                return False
        elif not isinstance(data, dict):
            return False
        data = data[key]  # type: ignore[index]
    return isinstance(data, dict)
