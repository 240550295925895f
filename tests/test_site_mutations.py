"""Site mutations through HTTP with real tokens: writes, validation, permissions, versions,
atomicity, history and audit. The module has a demo database of its own to change."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import AuditEntry, HistoryEntry, ParcelOwner, Site, SiteClosingSolution, User
from hub.models.enums import AuditKind, HistorySubject, SiteStatus
from resolvers.writes import Refused, update_versioned
from tests.support import Hub, graphql, open_site

SITE_FIELDS = """id version name status address
  population { total households women minors minorsInSchool origins }
  livingConditions { water { status } }
  legalProcedures { justiceProcedure policeAssistance }
  ownership { ownerType parcels { parcel ownerName } }
  lifecycle { status closedAt closedWithSolutions solutions { solution people } }
  confirmedUnchangedAt"""
PAYLOAD = f"site {{ {SITE_FIELDS} }} errors {{ field code message currentVersion }}"
CREATE = f"mutation ($input: CreateSiteInput!) {{ createSite(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"""mutation ($id: ID!, $version: Int!, $input: UpdateSiteInput!) {{
  updateSite(id: $id, version: $version, input: $input) {{ {PAYLOAD} }} }}"""
CLOSE = f"""mutation ($id: ID!, $version: Int!, $input: CloseSiteInput!) {{
  closeSite(id: $id, version: $version, input: $input) {{ {PAYLOAD} }} }}"""
REOPEN = f"""mutation ($id: ID!, $version: Int!) {{
  reopenSite(id: $id, version: $version) {{ {PAYLOAD} }} }}"""
CONFIRM = f"""mutation ($id: ID!, $version: Int!) {{
  confirmSiteUnchanged(id: $id, version: $version) {{ {PAYLOAD} }} }}"""
DELETE = """mutation ($id: ID!, $version: Int!) {
  deleteSite(id: $id, version: $version) { deletedId errors { field code message } } }"""


def gid(key: int) -> str:
    return to_base64("Site", key)


class Trace:
    """Counts of what a write leaves behind, to show that a refused one left nothing."""

    async def snapshot(self) -> tuple[int, int, int, int]:
        return (
            await Site.all().count(),
            await HistoryEntry.all().count(),
            await AuditEntry.all().count(),
            await ParcelOwner.all().count(),
        )


@pytest.fixture
async def unchanged() -> AsyncIterator[None]:
    """Asserts that the test wrote nothing at all."""
    before = await Trace().snapshot()
    yield
    assert await Trace().snapshot() == before


NEW_SITE: dict[str, Any] = {
    "identity": {"name": "Terrain du Ramier", "communeCode": "31555", "latitude": 43.58,
                 "longitude": 1.43, "fieldType": "LAND", "installedAt": "2025-03-01"},
    "population": {"total": 40, "households": 12, "women": 15, "minors": 18, "minorsInSchool": 9,
                   "minorsByAge": {"from0To3": 4, "from6To12": 8}, "origins": ["EU", "NON_EU"]},
    "livingConditions": {"water": {"access": "YES", "onSite": "YES", "continuous": "YES",
                                   "stagnantWater": "NO"}},
}  # fmt: skip


async def test_a_correspondent_declares_a_site_and_it_is_traced(hub: Hub) -> None:
    payload = await hub.call("correspondent", CREATE, {"input": NEW_SITE})
    assert payload["errors"] == []
    site = payload["site"]
    assert site["version"] == 1 and site["name"] == "Terrain du Ramier"
    assert site["population"]["origins"] == ["EU", "NON_EU"]
    assert site["livingConditions"]["water"]["status"] == "GOOD"
    key = int(site["id"] and (await Site.get(name="Terrain du Ramier")).id)
    entry = await HistoryEntry.get(subject_type=HistorySubject.SITE, subject_id=key)
    author = await User.get(email="correspondent@demo.bidonvilles.example")
    assert entry.operation == "create" and entry.author_id == author.id
    assert entry.changes["population_total"] == [None, 40]
    assert entry.changes["commune_scope_code"] == [None, "31555"]
    audit = await AuditEntry.get(operation="site.create", subject_ids=[key])
    assert audit.kind == AuditKind.WRITE and audit.user_id == author.id
    assert audit.departement_code == "31"


@pytest.mark.parametrize(
    ("who", "commune", "message"),
    [
        ("external_observer", "31555", "needs site.create here"),
        ("operator", "31555", "needs site.create here"),  # only with the create_sites option
        ("correspondent", "33063", "needs site.create here"),  # outside its area
        ("demo-commune-app", "31555", "does not grant hub:write"),
        (None, "31555", "Sign in to write"),
    ],
)
async def test_declaring_a_site_is_refused_outside_the_policy(
    hub: Hub, unchanged: None, who: str | None, commune: str, message: str
) -> None:
    data = {"identity": {"name": "Refusé", "communeCode": commune}}
    payload = await hub.call(who, CREATE, {"input": data})
    assert payload["site"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert message in payload["errors"][0]["message"]


async def test_the_create_sites_option_lets_an_operator_declare(hub: Hub) -> None:
    operator = await User.get(email="operator@demo.bidonvilles.example")
    await User.filter(id=operator.id).update(options=["create_sites"])
    try:
        data = {"identity": {"name": "Déclaré par l'association", "communeCode": "31555"}}
        payload = await hub.call("operator", CREATE, {"input": data})
        assert payload["errors"] == [] and payload["site"]["version"] == 1
    finally:
        await User.filter(id=operator.id).update(options=[])


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"population": {"total": -1}}, "input.population.total", "OUT_OF_RANGE"),
    ({"population": {"total": 10, "households": 11}}, "input.population.households",
     "OUT_OF_RANGE"),
    ({"population": {"total": 10, "women": 11}}, "input.population.women", "OUT_OF_RANGE"),
    ({"population": {"total": 10, "minors": 11}}, "input.population.minors", "OUT_OF_RANGE"),
    ({"population": {"minors": 3, "minorsInSchool": 4}}, "input.population.minorsInSchool",
     "OUT_OF_RANGE"),
    ({"population": {"minors": 3, "minorsByAge": {"from0To3": 2, "from3To6": 2}}},
     "input.population.minorsByAge", "OUT_OF_RANGE"),
    ({"population": {"dwellings": {"huts": -2}}}, "input.population.dwellings.huts",
     "OUT_OF_RANGE"),
    ({"identity": {"name": "x" * 201}}, "input.identity.name", "TOO_LONG"),
    ({"identity": {"address": "rue\x00"}}, "input.identity.address", "INVALID"),
    ({"identity": {"latitude": 48.85, "longitude": None}}, "input.identity.longitude", "REQUIRED"),
    ({"identity": {"latitude": 40.0, "longitude": -3.7}}, "input.identity.latitude",
     "OUT_OF_RANGE"),
    ({"identity": {"declaredAt": "2999-01-01"}}, "input.identity.declaredAt", "OUT_OF_RANGE"),
    ({"identity": {"communeCode": "99999"}}, "input.identity.communeCode", "NOT_FOUND"),
    ({"identity": {"communeCode": None}}, "input.identity.communeCode", "REQUIRED"),
    ({"identity": {"fieldType": None}}, "input.identity.fieldType", "REQUIRED"),
    ({"livingConditions": {"water": {"access": None}}}, "input.livingConditions.water.access",
     "REQUIRED"),
    ({"resorption": {"targetYear": 1999}}, "input.resorption.targetYear", "OUT_OF_RANGE"),
    ({"resorption": {"phases": [{"phase": "SOCIAL_ASSESSMENT"}, {"phase": "SOCIAL_ASSESSMENT"}]}},
     "input.resorption.phases.1", "INVALID"),
    ({"resorption": {"phases": [{"phase": "SOCIAL_ASSESSMENT", "startedAt": "2025-02-01",
                                 "completedAt": "2025-01-01"}]}},
     "input.resorption.phases.0.completedAt", "OUT_OF_RANGE"),
    ({"ownership": {"parcels": [{"parcel": "AB 12", "ownerName": "n" * 201}]}},
     "input.ownership.parcels.0.ownerName", "TOO_LONG"),
    ({"legalProcedures": {"policeRequestedAt": "2025-05-02", "policeGrantedAt": "2025-05-01"}},
     "input.legalProcedures.policeGrantedAt", "OUT_OF_RANGE"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "code"), INVALID, ids=lambda v: str(v)[:40])
async def test_each_validation_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, change: dict[str, Any], field: str, code: str
) -> None:
    site = await open_site()
    payload = await hub.call(
        "national_admin", UPDATE, {"id": gid(site.id), "version": site.version, "input": change}
    )
    assert payload["site"] is None
    assert (field, code) in [(e["field"], e["code"]) for e in payload["errors"]], payload
    assert (await Site.get(id=site.id)).version == site.version


async def test_an_overseas_site_must_stand_overseas(hub: Hub, unchanged: None) -> None:
    site = (
        await Site.filter(departement_code="971").first()
        or await Site.filter(overseas=True).first()
    )
    assert site is not None
    change = {"identity": {"latitude": 48.85, "longitude": 2.35}}  # Paris
    payload = await hub.call(
        "national_admin", UPDATE, {"id": gid(site.id), "version": site.version, "input": change}
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("input.identity.latitude", "OUT_OF_RANGE")
    ]


async def test_updates_per_group_follow_the_policy_and_are_traced(hub: Hub) -> None:
    site = await open_site()
    variables = {"id": gid(site.id), "version": site.version}
    renamed = await hub.call(
        "operator", UPDATE, variables | {"input": {"identity": {"name": "Nouveau nom"}}}
    )
    assert renamed["errors"] == [] and renamed["site"]["version"] == site.version + 1
    entry = await HistoryEntry.filter(subject_id=site.id).order_by("-id").first()
    assert entry is not None and entry.changes == {"name": [site.name, "Nouveau nom"]}
    # Legal procedures need site.legal.write: an operator has not got it, a correspondent has.
    legal = {"legalProcedures": {"justiceProcedure": "YES", "policeAssistance": "REQUESTED",
                                 "policeRequestedAt": "2026-01-10"}}  # fmt: skip
    version = {"version": site.version + 1}
    refused = await hub.call("operator", UPDATE, variables | version | {"input": legal})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    done = await hub.call("correspondent", UPDATE, variables | version | {"input": legal})
    assert done["site"]["legalProcedures"] == {
        "justiceProcedure": "YES", "policeAssistance": "REQUESTED",
    }  # fmt: skip
    assert (await Site.get(id=site.id)).has_legal_procedure is True
    owners = {"ownership": {"ownerType": "PUBLIC",
                            "parcels": [{"parcel": "AB 1", "ownerType": "PUBLIC",
                                         "ownerName": "Commune"}]}}  # fmt: skip
    version = {"version": site.version + 2}
    done = await hub.call("correspondent", UPDATE, variables | version | {"input": owners})
    assert done["site"]["ownership"] == {
        "ownerType": "PUBLIC", "parcels": [{"parcel": "AB 1", "ownerName": "Commune"}],
    }  # fmt: skip
    entry = await HistoryEntry.filter(subject_id=site.id).order_by("-id").first()
    assert entry is not None and entry.changes["parcel_owners"][1] == [
        {"parcel": "AB 1", "owner_type": "public", "owner_name": "Commune"}
    ]


async def test_a_site_out_of_scope_is_not_found(hub: Hub, unchanged: None) -> None:
    site = await open_site("33")
    payload = await hub.call(
        "operator", UPDATE,
        {"id": gid(site.id), "version": site.version, "input": {"identity": {"name": "x"}}},
    )  # fmt: skip
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]


async def test_a_stale_version_is_a_conflict_and_writes_nothing(hub: Hub) -> None:
    site = await open_site()
    variables = {"id": gid(site.id), "version": site.version}
    first = await hub.call(
        "correspondent", UPDATE, variables | {"input": {"identity": {"name": "A"}}}
    )
    assert first["errors"] == []
    before = await Trace().snapshot()
    stale = await hub.call(
        "correspondent", UPDATE, variables | {"input": {"identity": {"name": "B"}}}
    )
    assert stale["site"] is None
    assert stale["errors"] == [
        {"field": "version", "code": "CONFLICT", "currentVersion": site.version + 1,
         "message": f"The site changed since version {site.version}: it is at version "
                    f"{site.version + 1}. Read it again and re-apply your change."}
    ]  # fmt: skip
    assert await Trace().snapshot() == before and (await Site.get(id=site.id)).name == "A"


COUNTED = "2026-10-15"


async def test_concurrent_updates_one_wins_the_other_conflicts(hub: Hub) -> None:
    site = await open_site()
    variables = {"id": gid(site.id), "version": site.version}
    results = await asyncio.gather(
        hub.call("correspondent", UPDATE, variables | {"input": {"identity": {"name": "Ours"}}}),
        hub.call(
            "local_admin", UPDATE, variables | {"input": {"population": {"countedAt": COUNTED}}}
        ),
    )
    winners = [r for r in results if r["errors"] == []]
    losers = [r for r in results if r["errors"]]
    assert len(winners) == 1 and len(losers) == 1
    assert [e["code"] for e in losers[0]["errors"]] == ["CONFLICT"]
    stored = await Site.get(id=site.id)
    assert stored.version == site.version + 1
    # Never merged: exactly one of the two changes is there.
    counted = stored.population_counted_at and stored.population_counted_at.isoformat()
    assert (stored.name == "Ours") != (counted == COUNTED)


async def test_close_reopen_and_confirm(hub: Hub) -> None:
    site = await open_site()
    installed = site.installed_at.isoformat() if site.installed_at else "2020-01-01"
    variables = {"id": gid(site.id), "version": site.version}
    before_installation = {"status": "RESORBED", "closedAt": "2000-01-01"}
    refused = await hub.call("correspondent", CLOSE, variables | {"input": before_installation})
    if site.installed_at:
        problems = [(e["field"], e["code"]) for e in refused["errors"]]
        assert ("input.closedAt", "OUT_OF_RANGE") in problems
    close = {
        "status": "RESORBED",
        "closedAt": "2026-10-01",
        "closedWithSolutions": "YES",
        "solutions": [{"solution": "INTEGRATION_HOUSING", "people": 12, "households": 4}],
    }
    assert installed <= "2026-10-01"
    closed = await hub.call("correspondent", CLOSE, variables | {"input": close})
    assert closed["errors"] == []
    assert closed["site"]["lifecycle"] == {
        "status": "RESORBED", "closedAt": "2026-10-01", "closedWithSolutions": "YES",
        "solutions": [{"solution": "INTEGRATION_HOUSING", "people": 12}],
    }  # fmt: skip
    version = {"version": site.version + 1}
    again = await hub.call("correspondent", CLOSE, variables | version | {"input": close})
    assert [e["code"] for e in again["errors"]] == ["INVALID"]
    # Reopening is for administrators.
    refused = await hub.call("correspondent", REOPEN, variables | version)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    reopened = await hub.call("local_admin", REOPEN, variables | version)
    assert reopened["errors"] == [] and reopened["site"]["lifecycle"]["status"] == "OPEN"
    assert await SiteClosingSolution.filter(site_id=site.id).count() == 0
    confirmed = await hub.call("operator", CONFIRM, variables | {"version": site.version + 2})
    assert confirmed["errors"] == [] and confirmed["site"]["confirmedUnchangedAt"]
    operations = (
        await HistoryEntry.filter(subject_id=site.id, subject_type="site")
        .order_by("-id")
        .limit(3)
        .values_list("operation", flat=True)
    )
    assert list(operations) == ["confirm", "reopen", "close"]


async def test_only_national_administrators_delete(hub: Hub) -> None:
    site = await open_site()
    variables = {"id": gid(site.id), "version": site.version}
    refused = await hub.call("local_admin", DELETE, variables)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    deleted = await hub.call("national_admin", DELETE, variables)
    assert deleted == {"deletedId": gid(site.id), "errors": []}
    assert not await Site.exists(id=site.id)
    last = await HistoryEntry.filter(subject_id=site.id, operation="delete").first()
    assert last is not None and last.changes["commune_scope_code"][1] is None


async def test_a_failure_midway_leaves_nothing_behind(
    hub: Hub, unchanged: None, failing_audit: None
) -> None:
    site = await open_site()
    body = await graphql(
        hub.http,
        UPDATE,
        {"id": gid(site.id), "version": site.version,
         "input": {"identity": {"name": "Jamais"}, "ownership": {"parcels": []}}},
        token=await hub.token("correspondent"),
    )  # fmt: skip
    assert body["data"] is None and body["errors"]
    stored = await Site.get(id=site.id)
    assert stored.name == site.name and stored.version == site.version


async def test_the_version_check_and_the_write_are_one_statement() -> None:
    # Another writer got in between this caller's read and its write.
    site = await open_site()
    await Site.filter(id=site.id).update(version=site.version + 1)
    with pytest.raises(Refused) as refused:
        await update_versioned(Site, site.id, site.version, {"name": "late"}, "site")
    assert refused.value.errors[0].current_version == site.version + 1
    assert (await Site.get(id=site.id)).name == site.name


DEMO_END = datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
AS_OF = f"""query ($id: ID!, $day: Date!) {{ site(id: $id, asOf: $day) {{ {SITE_FIELDS} }} }}"""
NOW = f"""query ($id: ID!) {{ site(id: $id) {{ {SITE_FIELDS} }} }}"""


async def test_as_of_rebuilds_the_site_as_it_was(hub: Hub) -> None:
    # A site of the demo data (whose history ends on 2026-11-01), not one a test declared.
    site = (
        await Site.filter(departement_code="31", status=SiteStatus.OPEN, created_at__lt=DEMO_END)
        .order_by("-id")
        .first()
    )
    assert site is not None
    token = await hub.token("national_admin")
    variables = {"id": gid(site.id)}
    before = (await graphql(hub.http, NOW, variables, token=token))["data"]["site"]
    change = {
        "identity": {"name": "Renommé"},
        "population": {"total": (site.population_total or 0) + 5},
        "ownership": {"parcels": [{"parcel": "ZZ 9", "ownerType": "PRIVATE"}]},
    }
    done = await hub.call(
        "correspondent", UPDATE, variables | {"version": site.version, "input": change}
    )
    assert done["errors"] == []
    # The demo history ends on 2026-11-01: at that date the site is as it was before.
    then = await graphql(hub.http, AS_OF, variables | {"day": "2026-11-01"}, token=token)
    rebuilt = then["data"]["site"]
    assert {k: v for k, v in rebuilt.items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }
    created = await HistoryEntry.filter(subject_id=site.id, operation="create").first()
    assert created is not None
    too_early = created.changed_at.date().replace(year=created.changed_at.year - 1)
    absent = await graphql(hub.http, AS_OF, variables | {"day": too_early.isoformat()}, token=token)
    assert absent["data"]["site"] is None
    assert absent["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    future = await graphql(hub.http, AS_OF, variables | {"day": "2999-01-01"}, token=token)
    assert future["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_as_of_keeps_gates_and_scope(hub: Hub) -> None:
    site = await open_site("33")
    operator = await hub.token("operator")
    hidden = await graphql(
        hub.http, AS_OF, {"id": gid(site.id), "day": "2026-11-01"}, token=operator
    )
    assert hidden["data"]["site"] is None  # Gironde is outside the operator's scope
    own = await open_site("31")
    seen = await graphql(hub.http, AS_OF, {"id": gid(own.id), "day": "2026-11-01"}, token=operator)
    assert seen["data"]["site"]["legalProcedures"] is None
    assert [e["extensions"]["code"] for e in seen["errors"]] == ["FORBIDDEN", "FORBIDDEN"]


async def test_moving_a_site_needs_the_right_where_it_goes(hub: Hub) -> None:
    site = await open_site()
    variables = {"id": gid(site.id), "version": site.version}
    away = {"identity": {"communeCode": "33063", "latitude": None, "longitude": None}}
    refused = await hub.call("correspondent", UPDATE, variables | {"input": away})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    # An arrondissement stands for its city; Toulouse has none, Muret is another commune.
    moved = await hub.call(
        "correspondent", UPDATE,
        variables | {"input": {"identity": {"communeCode": "31395", "latitude": None,
                                            "longitude": None}}},
    )  # fmt: skip
    assert moved["errors"] == []
    stored = await Site.get(id=site.id)
    assert (stored.commune_id, stored.commune_scope_code, stored.departement_code) == (
        "31395", "31395", "31",
    )  # fmt: skip
    entry = await HistoryEntry.filter(subject_id=site.id).order_by("-id").first()
    assert entry is not None and entry.changes["commune_id"] == [site.commune_id, "31395"]
