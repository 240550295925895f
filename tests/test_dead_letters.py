"""The outbox's e-mails as national administrators see them (``emails``), and their retry of a
dead letter (``retryEmail``): nobody else reads an e-mail (the addresses are personal data)
nor retries one, and a retry is audited."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from strawberry.relay import to_base64

from hub.models import AuditEntry, Email
from hub.models.enums import DeliveryStatus, NotificationKind
from tests.support import Hub, error_codes

EMAILS = """query ($filter: EmailFilter, $first: Int, $after: String) {
  emails(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id kind address status attempts lastError createdAt deliveredAt } } }"""
NODE = "query ($id: ID!) { node(id: $id) { ... on Email { address } } }"
RETRY = """mutation ($id: ID!) { retryEmail(id: $id) {
  email { id status attempts lastError } errors { field code message } } }"""
AT = datetime.datetime(2026, 12, 1, 8, tzinfo=datetime.UTC)
BATCHES = itertools.count()
OTHERS = ("local_admin", "correspondent", "operator", "national_actor", "demo-association-app")


async def outbox() -> dict[str, Email]:
    """A dead letter, a delivered e-mail and a pending one, by status."""
    batch = next(BATCHES)

    async def email(key: str, status: DeliveryStatus, **values: Any) -> Email:
        values.setdefault("kind", NotificationKind.COMMENT_TARGETED)
        return await Email.create(
            key=f"test:{batch}:{key}", address=f"{key}@example.org", status=status,
            next_attempt_at=AT, created_at=AT, **values,
        )  # fmt: skip

    failed = await email("failed", DeliveryStatus.FAILED, attempts=5, last_error="550 No such user")
    delivered = await email(
        "delivered", DeliveryStatus.DELIVERED, attempts=1, delivered_at=AT,
        kind=NotificationKind.WEEKLY_DIGEST,
    )  # fmt: skip
    pending = await email("pending", DeliveryStatus.PENDING)
    return {"failed": failed, "delivered": delivered, "pending": pending}


def gid(email: Email) -> str:
    return to_base64("Email", email.id)


async def test_national_administrators_read_the_dead_letters(hub: Hub) -> None:
    rows = await outbox()
    body = await hub.ask("national_admin", EMAILS, {"filter": {"status": "FAILED"}})
    assert "errors" not in body, body
    failed = body["data"]["emails"]["nodes"]
    mine = next(node for node in failed if node["id"] == gid(rows["failed"]))
    assert mine == {
        "id": gid(rows["failed"]), "kind": "COMMENT_TARGETED", "address": "failed@example.org",
        "status": "FAILED", "attempts": 5, "lastError": "550 No such user",
        "createdAt": "2026-12-01T08:00:00+00:00", "deliveredAt": None,
    }  # fmt: skip
    assert {node["status"] for node in failed} == {"FAILED"}
    digests = await hub.ask("national_admin", EMAILS, {"filter": {"kind": "WEEKLY_DIGEST"}})
    ids = [node["id"] for node in digests["data"]["emails"]["nodes"]]
    assert gid(rows["delivered"]) in ids and gid(rows["failed"]) not in ids
    # Newest first, in pages.
    page = await hub.ask("national_admin", EMAILS, {"first": 2})
    connection = page["data"]["emails"]
    assert connection["totalCount"] == await Email.all().count()
    assert connection["nodes"][0]["id"] == gid(rows["pending"])
    rest = await hub.ask(
        "national_admin", EMAILS, {"first": 2, "after": connection["pageInfo"]["endCursor"]}
    )
    assert rest["data"]["emails"]["nodes"][0]["id"] == gid(rows["failed"])
    node = await hub.ask("national_admin", NODE, {"id": gid(rows["failed"])})
    assert node["data"]["node"] == {"address": "failed@example.org"}


async def test_nobody_else_reads_an_e_mail(hub: Hub) -> None:
    rows = await outbox()
    for who in (*OTHERS, None):
        body = await hub.ask(who, EMAILS, {"filter": {"status": "FAILED"}})
        assert body["data"]["emails"] == {
            "totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [],
        }, who  # fmt: skip
        node = await hub.ask(who, NODE, {"id": gid(rows["failed"])})
        assert node["data"]["node"] is None and error_codes(node) == ["NOT_FOUND"], who


async def test_a_national_administrator_retries_a_dead_letter(hub: Hub) -> None:
    rows = await outbox()
    failed = rows["failed"]
    before = datetime.datetime.now(datetime.UTC)
    payload = await hub.call("national_admin", RETRY, {"id": gid(failed)})
    assert payload["errors"] == [], payload
    # Pending again, due now, its attempts afresh; the last error stays until the next try.
    assert payload["email"] == {
        "id": gid(failed), "status": "PENDING", "attempts": 0, "lastError": "550 No such user",
    }  # fmt: skip
    await failed.refresh_from_db()
    assert failed.status is DeliveryStatus.PENDING and failed.next_attempt_at >= before
    entry = await AuditEntry.filter(operation="email.retry").order_by("-id").first()
    assert entry is not None and entry.subject_ids == [failed.id]
    assert entry.details == {"kind": "comment.targeted"}
    # Only a dead letter is retried: this one now waits, the other was delivered.
    for row in (failed, rows["delivered"]):
        again = await hub.call("national_admin", RETRY, {"id": gid(row)})
        assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "CONFLICT")]
    missing = await hub.call("national_admin", RETRY, {"id": to_base64("Email", 10**9)})
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    assert await AuditEntry.filter(operation="email.retry", subject_ids=[failed.id]).count() == 1


async def test_nobody_else_retries_an_e_mail(hub: Hub) -> None:
    rows = await outbox()
    retries = await AuditEntry.filter(operation="email.retry").count()
    for who in (*OTHERS, "intervener", None):
        payload = await hub.call(who, RETRY, {"id": gid(rows["failed"])})
        assert payload["email"] is None
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], who
    await rows["failed"].refresh_from_db()
    assert rows["failed"].status is DeliveryStatus.FAILED and rows["failed"].attempts == 5
    assert await AuditEntry.filter(operation="email.retry").count() == retries
