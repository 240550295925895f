"""Reads of gated data, gathered during a request and written to the audit log once at its end.

A request that reads no gated field writes nothing, and one that reads many writes one entry
per capability, type and territory (with every object's id): auditing never costs a query
per object, nor anything to reads of ungated data. Read entries stand in a département (or
nowhere, for users), so they are visible to ``audit.read`` holders of that département.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from strawberry.extensions import SchemaExtension

from hub.models import AuditEntry
from hub.models.enums import AuditKind
from permissions.capabilities import Capability
from permissions.principal import Principal
from permissions.territories import Place

# The gated field groups whose reads DOMAIN.md wants traced.
AUDITED_READS = frozenset(
    {
        Capability.SITE_LEGAL_READ,
        Capability.SITE_OWNER_READ,
        Capability.ACTION_FINANCES_READ,
        Capability.USER_READ,
    }
)


@dataclass
class ReadLog:
    _reads: defaultdict[tuple[Capability, str, Place], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def record(self, capability: Capability, subject_type: str, key: int, place: Place) -> None:
        # One entry per département: finer places would split a list into many entries.
        where = Place(place.region, place.departement)
        self._reads[(capability, subject_type, where)].add(key)

    async def flush(self, principal: Principal) -> None:
        if not self._reads:
            return
        at = datetime.datetime.now(datetime.UTC)
        await AuditEntry.bulk_create(
            [
                AuditEntry(
                    at=at,
                    kind=AuditKind.READ,
                    operation=capability.value,
                    user_id=principal.user_id,
                    application_id=principal.application_id,
                    subject_type=subject_type,
                    subject_ids=sorted(keys),
                    region_code=place.region,
                    departement_code=place.departement,
                )
                for (capability, subject_type, place), keys in self._reads.items()
            ]
        )
        self._reads.clear()


class AuditReads(SchemaExtension):
    """Writes the request's gated reads to the audit log when the operation has run."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        await context.reads.flush(context.principal)
