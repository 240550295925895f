"""History entries from a subject's successive states: each entry holds what changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from hub.demo.context import Ids, Json, Rows
from hub.models import HistoryEntry
from hub.models.enums import HistoryOperation, HistorySubject

State = dict[str, Json]
Changes = dict[str, list[Json]]


def creation(state: State, fields: Iterable[str]) -> Changes:
    """A creation starts from nothing: every field with a value is a change."""
    return {key: [None, state[key]] for key in fields if state[key] is not None}


def update(before: State, after: State, fields: Iterable[str]) -> Changes:
    """{field: [old, new]} for each of ``fields`` that differs."""
    return {key: [before[key], after[key]] for key in fields if before[key] != after[key]}


def history_entries(
    ids: Ids,
    rows: Rows,
    subject: HistorySubject,
    subject_id: int,
    changes: Sequence[Changes],
    moments: Sequence[datetime],
    operations: Sequence[HistoryOperation],
    authors: Sequence[int | None],
) -> None:
    """One entry per change set, at its moment, by its author."""
    for change, moment, operation, author in zip(
        changes, moments, operations, authors, strict=True
    ):
        rows.add_values(
            HistoryEntry,
            id=ids.next(HistoryEntry),
            subject_type=subject,
            subject_id=subject_id,
            operation=operation,
            changes=change,
            author_id=author,
            application_id=None,
            changed_at=moment,
        )


def replay(changes: Sequence[Changes]) -> State:
    """The state the entries lead to, starting from nothing (what tests check)."""
    state: State = {}
    for change in changes:
        for key, (_, new) in change.items():
            state[key] = new
    return state
