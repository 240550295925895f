"""Reads of gated data, gathered during a request (``Context.reads``, an ``AuditBatch``) and
written to the audit log once at its end.

A request that reads no gated field writes nothing, and one that reads many writes one entry
per capability, type and département (with every object's id): auditing costs nothing to
reads of ungated data. Read entries stand in a département (or nowhere, for users), so they
are visible to ``audit.read`` holders of that département.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from permissions.capabilities import Capability

# The gated field groups whose reads DOMAIN.md wants traced.
AUDITED_READS = frozenset(
    {
        Capability.SITE_LEGAL_READ,
        Capability.SITE_OWNER_READ,
        Capability.ACTION_FINANCES_READ,
        Capability.USER_READ,
    }
)


class AuditReads(SchemaExtension):
    """Writes the request's gated reads to the audit log when the operation has run."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        context.reads.sent(execution.result.data if execution.result is not None else None)
        await context.reads.write(context.principal)
