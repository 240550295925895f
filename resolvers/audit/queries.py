"""The audit log query: entries where the caller holds ``audit.read``, newest first."""

from __future__ import annotations

import datetime

from tortoise.expressions import Q

from hub.errors import BadUserInput
from hub.ids import decode_id
from hub.models import AuditEntry
from permissions.rows import audit_q
from resolvers.context import Context
from resolvers.filters import AuditFilter
from resolvers.pagination import Page, PageRequest, page_of


def audit_filter_q(audit_filter: AuditFilter | None) -> Q:
    if audit_filter is None:
        return Q()
    f = audit_filter
    conditions: list[Q] = []
    if f.kinds is not None:
        conditions.append(Q(kind__in=list(f.kinds)))
    if f.operations is not None:
        # PostgreSQL refuses NUL in text: a clean error rather than a driver's.
        if any("\x00" in operation for operation in f.operations):
            raise BadUserInput("`operations` must not contain NUL characters.", argument="filter")
        conditions.append(Q(operation__in=list(f.operations)))
    if f.since is not None and f.until is not None and f.since > f.until:
        raise BadUserInput("`since` is after `until`.", argument="filter")
    if f.since is not None:
        conditions.append(Q(at__gte=_moment(f.since)))
    if f.until is not None:
        conditions.append(Q(at__lt=_moment(f.until + datetime.timedelta(days=1))))
    if f.user is not None:
        conditions.append(Q(user_id=decode_id(f.user, "User")))
    return Q(*conditions) if conditions else Q()


def _moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


async def list_audit_entries(
    context: Context, audit_filter: AuditFilter | None, first: int | None, after: str | None
) -> Page[AuditEntry]:
    page = PageRequest.parse(context.settings, first, after)
    queryset = AuditEntry.filter(audit_q(context.principal), audit_filter_q(audit_filter))
    return await page_of(queryset, page, ["-at", "-id"])
