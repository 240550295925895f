"""Rows written by one INSERT (the audit log's, the demo data's): all of them, or none."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from hub.database import count_statements
from hub.models import AuditEntry
from hub.models import records as records_module
from hub.models.enums import AuditKind
from hub.models.records import insert_rows
from tests.support import Hub


def _rows(operation: str, count: int) -> list[dict[str, Any]]:
    at = datetime.datetime(2026, 12, 8, 9, 30, tzinfo=datetime.UTC)
    return [
        {
            "at": at,
            "kind": AuditKind.READ,
            "operation": operation,
            "user_id": None,
            "application_id": None,
            "subject_type": "site",
            "subject_ids": [index, index + 1],
            "region_code": "76",
            "departement_code": "31",
            "epci_code": None,
            "commune_scope_code": None,
            "details": {"n": index},
        }
        for index in range(count)
    ]


async def test_rows_are_written_by_one_statement_as_bulk_create_writes_them(hub: Hub) -> None:
    with count_statements() as counter:
        await insert_rows(AuditEntry, _rows("test.one", 3))
    assert counter.count == 1
    written = await AuditEntry.filter(operation="test.one").order_by("id")
    assert [(entry.kind, entry.subject_ids, entry.details) for entry in written] == [
        (AuditKind.READ, [0, 1], {"n": 0}),
        (AuditKind.READ, [1, 2], {"n": 1}),
        (AuditKind.READ, [2, 3], {"n": 2}),
    ]
    assert {entry.at for entry in written} == {
        datetime.datetime(2026, 12, 8, 9, 30, tzinfo=datetime.UTC)
    }


async def test_past_the_bound_the_statements_share_one_transaction(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows of twelve columns per statement.
    monkeypatch.setattr(records_module, "MAX_PARAMETERS", 24)
    with count_statements() as counter:
        await insert_rows(AuditEntry, _rows("test.many", 5))
    assert counter.count == 3
    assert await AuditEntry.filter(operation="test.many").count() == 5
    # The last statement fails (a null where the table refuses one): none is kept.
    broken = _rows("test.broken", 5)
    broken[-1]["operation"] = None
    with pytest.raises(Exception):  # noqa: B017 (each driver raises its own)
        await insert_rows(AuditEntry, broken)
    assert await AuditEntry.filter(operation="test.broken").count() == 0
