"""The audit log: writes and reads of gated data are recorded; `auditLog` is scoped."""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from hub.models import AuditEntry, Site, User
from hub.models.enums import AuditKind, SiteStatus
from tests.support import Hub


async def ask(hub: Hub, who: str, query: str, **variables: Any) -> dict[str, Any]:
    return await hub.ask(who, query, variables)


LEGAL = """{ sites(first: 3, filter: {locations: [{level: DEPARTEMENT, code: "31"}]}) {
  nodes { id legalProcedures { justiceProcedure } } } }"""
LOG = """query ($filter: AuditFilter) { auditLog(filter: $filter) { totalCount nodes {
  kind operation subjectType subjectIds departementCode user { email } } } }"""


async def test_reading_gated_data_is_audited_once_per_request(hub: Hub) -> None:
    before = await AuditEntry.all().count()
    plain = """{ sites(first: 5) { nodes { id name population { total } } } }"""
    await ask(hub, "correspondent", plain)
    assert await AuditEntry.all().count() == before, "ungated reads are not audited"

    body = await ask(hub, "correspondent", LEGAL)
    ids = [node["id"] for node in body["data"]["sites"]["nodes"]]
    entries = await AuditEntry.filter(kind=AuditKind.READ).order_by("id")
    assert len(entries) == 1
    entry = entries[0]
    correspondent = await User.get(email="correspondent@demo.bidonvilles.example")
    assert (entry.operation, entry.subject_type, entry.user_id) == (
        "site.legal.read",
        "site",
        correspondent.id,
    )
    assert sorted(to_base64("Site", key) for key in entry.subject_ids) == sorted(ids)

    # A denied read is not a read.
    denied = await ask(hub, "operator", LEGAL)
    assert all(node["legalProcedures"] is None for node in denied["data"]["sites"]["nodes"])
    assert await AuditEntry.filter(kind=AuditKind.READ).count() == 1


async def test_writes_are_audited_and_the_log_is_scoped(hub: Hub) -> None:
    in_31 = await Site.filter(departement_code="31", status=SiteStatus.OPEN).first()
    in_33 = await Site.filter(departement_code="33", status=SiteStatus.OPEN).first()
    assert in_31 and in_33
    confirm = """mutation ($id: ID!, $version: Int!) { confirmSiteUnchanged(id: $id,
      version: $version) { errors { code } } }"""
    for site in (in_31, in_33):
        body = await ask(
            hub, "national_admin", confirm,
            id=to_base64("Site", site.id), version=site.version,
        )  # fmt: skip
        assert body["data"]["confirmSiteUnchanged"]["errors"] == []
    writes = {"filter": {"kinds": ["WRITE"]}}
    national = await ask(hub, "national_admin", LOG, **writes)
    log = national["data"]["auditLog"]
    assert log["totalCount"] == 2
    assert {(n["operation"], n["departementCode"]) for n in log["nodes"]} == {
        ("site.confirm", "31"),
        ("site.confirm", "33"),
    }
    assert {n["user"]["email"] for n in log["nodes"]} == {"national_admin@demo.bidonvilles.example"}
    # A local administrator of Haute-Garonne reads the entries of Haute-Garonne only.
    local = await ask(hub, "local_admin", LOG, **writes)
    assert [n["departementCode"] for n in local["data"]["auditLog"]["nodes"]] == ["31"]
    # Without audit.read, the log is empty.
    operator = await ask(hub, "operator", LOG, **writes)
    assert operator["data"]["auditLog"]["totalCount"] == 0


async def test_audit_filters_are_checked(hub: Hub) -> None:
    body = await ask(
        hub, "national_admin", LOG,
        filter={"since": "2026-11-02", "until": "2026-11-01"},
    )  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
