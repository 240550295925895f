"""The write pipeline: every mutation is checked, validated, atomic, versioned and traced.

A mutation's work runs inside ``write(context, operation, work)``: one database transaction
that holds the change, its history entries and its audit entry, so that all of them are
written or none. The work refuses by raising ``Refused`` with user errors (validation,
not found, forbidden, conflict): the transaction rolls back and the errors are answered
in the mutation's payload, never as a generic exception.

Permission comes first, whatever the input. Each mutation declares its ``Operation`` once,
with the capability it needs: a caller who holds it nowhere is refused before anything is
read; once the work has found its object (missing and out of read scope alike answer
NOT_FOUND), ``Write.allow`` checks the capability where the object stands, and only then
may the work check the version (``Write.check_version``), validate, and write. The
capabilities of the field groups an input touches come after that. A work that reaches
its version check or its audit entry without ``allow`` is a bug, refused as one.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from hub.live import stream
from hub.live.announcements import Announcement
from hub.models import AuditEntry, HistoryEntry
from hub.models.enums import AuditKind, EventKind, HistoryOperation, HistorySubject
from permissions.capabilities import Capability, Level
from permissions.mutations import MUTATIONS, OWN_ACCOUNT, PUBLIC
from permissions.principal import Principal
from permissions.territories import Place
from resolvers.audit.entries import audit_fields
from resolvers.context import Context
from resolvers.notifications import events as notifications

T = TypeVar("T")
M = TypeVar("M", bound=Model)


class ErrorCode(StrEnum):
    INVALID = "invalid"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    OUT_OF_RANGE = "out_of_range"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class UserError:
    """What is wrong with a mutation's input, for the person who sent it."""

    field: str | None
    code: ErrorCode
    message: str
    # With CONFLICT: the version the object is at now.
    current_version: int | None = None


class Refused(Exception):
    def __init__(self, errors: Iterable[UserError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(error.message for error in self.errors))


def not_found(field: str, what: str) -> Refused:
    # Out of scope and missing look the same (permissions/rows.py).
    return Refused([UserError(field, ErrorCode.NOT_FOUND, f"No {what} with this ID.")])


async def in_scope(
    model: type[M],
    scope: Q,
    row_id: int,
    field: str,
    what: str,
    related: tuple[str, ...] = (),
) -> M:
    """The row with this ID within ``scope`` (the caller's read scope), its ``related`` rows
    loaded; NOT_FOUND on ``field`` otherwise."""
    row = await model.filter(scope, id=row_id).select_related(*related).first()
    if row is None:
        raise not_found(field, what)
    return row


def forbidden(capability: Capability, what: str) -> Refused:
    return Refused(
        [
            UserError(
                None,
                ErrorCode.FORBIDDEN,
                f"Not allowed: {what} needs {capability.value} here.",
            )
        ]
    )


@dataclass(frozen=True)
class Operation:
    """A mutation as the pipeline knows it: its name in the audit log, the GraphQL mutation
    whose rule (``permissions.mutations``) gives the capability its caller needs before
    anything else, what it does (for refusals: "updating a site"), and the event it adds to
    the event stream (``hub.models.events``; None: the change is not announced)."""

    name: str
    # None: a write the hub makes itself, on someone's behalf (an account activated at its
    # first sign-in), which no caller asks for.
    mutation: str | None
    what: str
    event: EventKind | None = None

    def __post_init__(self) -> None:
        known = MUTATIONS.keys() | PUBLIC.keys() | OWN_ACCOUNT.keys()
        if self.mutation is not None and self.mutation not in known:
            raise ValueError(f"{self.mutation} has no rule in permissions.mutations.MUTATIONS")

    @property
    def public(self) -> bool:
        """No capability is needed: anyone may call it, anonymous callers included
        (``permissions.mutations.PUBLIC``), or the hub makes it itself."""
        return self.mutation is None or self.mutation in PUBLIC

    @property
    def own_account(self) -> bool:
        """A signed-in person's change to their own account (``OWN_ACCOUNT``): no capability,
        but an account (neither anonymous callers nor partner applications)."""
        return self.mutation in OWN_ACCOUNT

    @property
    def capability(self) -> Capability:
        assert self.mutation is not None, f"{self.name} needs no capability"
        return MUTATIONS[self.mutation].capability


class Unchecked(RuntimeError):
    """A mutation went on without checking its capability on its object: a bug."""


@dataclass
class Write:
    """One mutation in progress: its caller, its moment, and what it must record."""

    context: Context
    operation: Operation
    at: datetime.datetime
    # Set by ``allow``: the caller holds the operation's capability where its object stands.
    allowed: bool = False
    # The names of the fields each history entry changed, by subject: the events name them.
    changed: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    # Written in the transaction, announced once it has committed.
    announcements: list[Announcement] = field(default_factory=list)

    @property
    def principal(self) -> Principal:
        return self.context.principal

    def require(self, capability: Capability, place: Place, what: str) -> None:
        if not self.principal.can(capability, place):
            raise forbidden(capability, what)

    def allow(self, place: Place, attached: bool = False) -> None:
        """The operation's capability where its object stands (``attached``: the caller is
        attached to it, for ``own`` grants); before its version, before its input."""
        operation = self.operation
        if operation.public or operation.own_account:
            # Who may make it was settled before the work ran (``write``).
            self.allowed = True
            return
        if not self.principal.can(operation.capability, place, attached=attached):
            raise forbidden(operation.capability, operation.what)
        self.allowed = True

    def check_version(self, row: Any, version: int, what: str) -> None:
        """Early and clear, once permission is settled (a conflict tells the caller the
        object exists and changed); the conditional UPDATE (``update_versioned``) still
        catches a change made between this read and the write."""
        self._checked("checking a version")
        if row.version != version:
            raise conflict(what, version, row.version)

    def _checked(self, step: str) -> None:
        if not self.allowed:
            raise Unchecked(f"{self.operation.name}: {step} before Write.allow")

    async def history(
        self,
        subject: HistorySubject,
        subject_id: int,
        operation: HistoryOperation,
        changes: dict[str, list[Any]],
    ) -> None:
        if not changes and operation is HistoryOperation.UPDATE:
            return
        self.changed[(subject.value, subject_id)] = sorted(changes)
        await HistoryEntry.create(
            subject_type=subject,
            subject_id=subject_id,
            operation=operation,
            changes=changes,
            author_id=self.principal.user_id,
            application_id=self.principal.application_id,
            changed_at=self.at,
        )

    async def audit(
        self,
        subject_type: str,
        subject_id: int,
        place: Place,
        details: dict[str, Any] | None = None,
        *,
        site_id: int | None = None,
        action_id: int | None = None,
    ) -> None:
        """The audit entry of the change, and its event if the operation has one: on the
        subject's site or action (a site's or an action's own, or given: a comment's)."""
        self._checked("writing its audit entry")
        await AuditEntry.create(
            **audit_fields(
                AuditKind.WRITE,
                self.operation.name,
                self.principal,
                subject_type,
                [subject_id],
                place,
                self.at,
                details,
            )
        )
        if self.operation.event is None:
            return
        if subject_type == HistorySubject.SITE:
            site_id = subject_id
        elif subject_type == HistorySubject.ACTION:
            action_id = subject_id
        announcement = await stream.record(
            at=self.at,
            kind=self.operation.event,
            subject_type=subject_type,
            subject_id=subject_id,
            site_id=site_id,
            action_id=action_id,
            region_code=place.region,
            departement_code=place.departement,
            epci_code=place.epci,
            commune_scope_code=place.commune,
            changes=self.changed.get((subject_type, subject_id), []),
            user_id=self.principal.user_id,
            application_id=self.principal.application_id,
        )
        self.announcements.append(announcement)
        await notifications.queue_for(announcement)


async def write(
    context: Context, operation: Operation, work: Callable[[Write], Awaitable[T]]
) -> T | list[UserError]:
    """Runs ``work`` in one transaction; its result, or the user errors that refused it.
    A caller who holds the operation's capability nowhere is refused before it runs."""
    refusal = None if operation.public else _refusal(context.principal, operation)
    if refusal is not None:
        return refusal
    now = datetime.datetime.now(datetime.UTC)
    w = Write(context, operation, now)
    try:
        async with in_transaction():
            result = await work(w)
    except Refused as refused:
        return refused.errors
    stream.committed(w.announcements)
    return result


def _refusal(principal: Principal, operation: Operation) -> list[UserError] | None:
    """Why a caller may not make this write anywhere, whatever its input (None: it may
    somewhere)."""
    if operation.own_account:
        if principal.user_id is None or principal.application_id is not None:
            message = "Not allowed: only a signed-in person changes their own account."
            return [UserError(None, ErrorCode.FORBIDDEN, message)]
        return None
    if not principal.may_write:
        reason = (
            "Sign in to write."
            if principal.anonymous
            else "This application's token does not grant hub:write."
        )
        return [UserError(None, ErrorCode.FORBIDDEN, f"Not allowed: {reason}")]
    if principal.grant(operation.capability).level is Level.NEVER:
        return forbidden(operation.capability, operation.what).errors
    return None


def conflict(what: str, version: int, current: int) -> Refused:
    return Refused(
        [
            UserError(
                "version",
                ErrorCode.CONFLICT,
                f"The {what} changed since version {version}: it is at version {current}. "
                "Read it again and re-apply your change.",
                current_version=current,
            )
        ]
    )


async def update_versioned(
    model: type[Model], row_id: int, version: int, values: dict[str, Any], what: str
) -> int:
    """Writes ``values`` only if the row is still at ``version``; the new version.

    The check and the write are one UPDATE statement, so two callers who read the same
    version cannot both succeed: the second one's WHERE no longer matches (PostgreSQL
    re-evaluates it once the first commits; SQLite serializes writers).
    """
    updated = await model.filter(id=row_id, version=version).update(**values, version=version + 1)
    if updated == 0:
        current = await model.filter(id=row_id).values_list("version", flat=True)
        if not current:
            raise not_found("id", what)
        # tortoise types values_list(flat=True) as tuples; flat, it returns the values.
        raise conflict(what, version, current[0])  # type: ignore[arg-type]
    return version + 1


# Kept by every history entry itself (who, when), or bookkeeping: not listed as changes.
UNTRACKED = frozenset(
    {"id", "version", "created_at", "updated_at", "created_by_id", "updated_by_id"}
)
Lists = dict[str, list[Any]]


def columns_of(row: Model) -> dict[str, Any]:
    return {name: getattr(row, name) for name in type(row)._meta.db_fields if name != "id"}


def tracked(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key not in UNTRACKED}


async def save_versioned(
    w: Write,
    row: Any,
    version: int,
    before: dict[str, Any],
    place: Place,
    operation: HistoryOperation = HistoryOperation.UPDATE,
    lists: Lists | None = None,
    read_lists: Callable[[], Awaitable[Lists]] | None = None,
    replace_lists: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Writes a versioned row's changed columns (if still at ``version``), then the lists
    given (``read_lists`` tells what they were), its history entry and its audit entry."""
    subject = HistorySubject(type(row)._meta.db_table)
    row.updated_at = w.at
    row.updated_by_id = w.principal.user_id
    after = columns_of(row)
    changed = {k: v for k, v in after.items() if k != "version" and v != before.get(k)}
    row.version = await update_versioned(type(row), row.id, version, changed, subject.value)
    old_lists: Lists = {}
    if lists and read_lists is not None and replace_lists is not None:
        old_lists = await read_lists()
        await replace_lists()
    changes = changes_between(tracked(before) | old_lists, tracked(after) | (lists or {}))
    await w.history(subject, row.id, operation, changes)
    await w.audit(subject.value, row.id, place)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value differs, as JSON values (a field
    missing on one side counts as null there)."""
    return {
        key: [_json(before.get(key)), _json(after.get(key))]
        for key in sorted(before.keys() | after.keys())
        if _json(before.get(key)) != _json(after.get(key))
    }


def _json(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value
