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


@dataclass
class AuditBatch:
    kind: AuditKind
    _ids: defaultdict[tuple[str, str, Place], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def record(self, operation: str, subject_type: str, key: int, place: Place) -> None:
        # One entry per département: finer places would split a list into many entries.
        where = Place(place.region, place.departement)
        # str(): a Capability (a StrEnum) is stored as its plain value.
        self._ids[(str(operation), subject_type, where)].add(key)

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
        await AuditEntry.bulk_create(
            [
                AuditEntry(
                    **audit_fields(
                        self.kind, operation, principal, subject_type, sorted(keys), place, at
                    )
                )
                for (operation, subject_type, place), keys in ids.items()
            ]
        )
        self._ids.clear()
