"""Action mutations through HTTP with real tokens: writes, validation, permissions, versions,
atomicity, history, audit and ``action(asOf:)``. The module has a demo database of its own
to change."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.relay import to_base64
from strawberry.utils.str_converters import to_camel_case
from tortoise import Tortoise

from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    ActionTopicLink,
    AuditEntry,
    HistoryEntry,
    Site,
    User,
)
from hub.models.enums import AuditKind, HistorySubject, SiteStatus, UserStatus
from resolvers.actions.validation import INDICATOR_PARTS
from tests.support import Hub, open_site

ACTION_FIELDS = """id version name goals startedAt endedAt locationKind locationDetails
  departement { code } topics managers { id } operators { id } sites { id }
  finances { year financeType plannedAmount spentAmount comment }
  indicators { year people households women minors }"""
PAYLOAD = f"action {{ {ACTION_FIELDS} }} errors {{ field code message currentVersion }}"
CREATE = f"""mutation ($input: CreateActionInput!) {{
  createAction(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation ($id: ID!, $version: Int!, $input: UpdateActionInput!) {{
  updateAction(id: $id, version: $version, input: $input) {{ {PAYLOAD} }} }}"""
FINANCES = f"""mutation ($id: ID!, $version: Int!, $year: Int!,
                         $finances: [ActionFinanceInput!]!) {{
  upsertActionFinances(id: $id, version: $version, year: $year, finances: $finances) {{
    {PAYLOAD} }} }}"""
INDICATORS = f"""mutation ($id: ID!, $version: Int!, $year: Int!,
                           $indicators: ActionIndicatorsInput!) {{
  upsertActionIndicators(id: $id, version: $version, year: $year, indicators: $indicators) {{
    {PAYLOAD} }} }}"""
HISTORY = """query ($id: ID!) { action(id: $id) {
  history(first: 1) { nodes { operation changes { field oldValue newValue } } } } }"""

TODAY = datetime.datetime.now(datetime.UTC).date()
EMAIL = "{}@demo.bidonvilles.example"


def gid(key: int, type_name: str = "Action") -> str:
    return to_base64(type_name, key)


async def user(who: str) -> User:
    return await User.get(email=EMAIL.format(who))


async def persona_action() -> Action:
    """The action of Haute-Garonne the correspondent manages and the operator operates."""
    correspondent, operator = await user("correspondent"), await user("operator")
    action = (
        await Action.filter(managers__id=correspondent.id, departement_id="31")
        .filter(operators__id=operator.id)
        .order_by("id")
        .first()
    )
    assert action is not None
    return action


async def unattached_action(who: str = "operator", departement: str = "31") -> Action:
    """An action of the département the persona neither manages nor operates (never the
    persona action, which other tests rely on)."""
    person = await user(who)
    mine = {
        (await persona_action()).id,
        *await Action.filter(managers__id=person.id).values_list("id", flat=True),
        *await Action.filter(operators__id=person.id).values_list("id", flat=True),
    }
    action = (
        await Action.filter(departement_id=departement).exclude(id__in=mine).order_by("id").first()
    )
    assert action is not None
    return action


async def _count(table: str) -> int:
    rows = await Tortoise.get_connection("default").execute_query_dict(
        f'SELECT COUNT(*) AS n FROM "{table}"'
    )
    return int(rows[0]["n"])


class Trace:
    """What a write leaves behind, to show that a refused one left nothing."""

    async def snapshot(self) -> tuple[int, ...]:
        versions = await Action.all().values_list("version", flat=True)
        return (
            await Action.all().count(),
            sum(versions),
            await HistoryEntry.all().count(),
            await AuditEntry.all().count(),
            await ActionTopicLink.all().count(),
            await ActionFinance.all().count(),
            await ActionIndicators.all().count(),
            await _count("action_manager"),
            await _count("action_operator"),
            await _count("action_site"),
        )


@pytest.fixture
async def unchanged() -> AsyncIterator[None]:
    """Asserts that the test wrote nothing at all."""
    before = await Trace().snapshot()
    yield
    assert await Trace().snapshot() == before


async def latest_entry(action_id: int) -> HistoryEntry:
    entry = (
        await HistoryEntry.filter(subject_type=HistorySubject.ACTION, subject_id=action_id)
        .order_by("-id")
        .first()
    )
    assert entry is not None
    return entry


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


# Creation


async def new_action(**changes: Any) -> dict[str, Any]:
    correspondent, operator = await user("correspondent"), await user("operator")
    site = await open_site()
    return {
        "departementCode": "31",
        "name": "Médiation scolaire au Ramier",
        "goals": "Scolariser tous les enfants du terrain.",
        "topics": ["SCHOOLING", "HEALTH"],
        "startedAt": "2026-09-01",
        "endedAt": "2027-06-30",
        "locationKind": "ON_SITE",
        "managers": [gid(correspondent.id, "User")],
        "operators": [gid(operator.id, "User")],
        "sites": [gid(site.id, "Site")],
    } | changes


async def test_a_correspondent_creates_an_action_and_it_is_traced(hub: Hub) -> None:
    data = await new_action()
    payload = await hub.call("correspondent", CREATE, {"input": data})
    assert payload["errors"] == []
    action = payload["action"]
    assert action["version"] == 1 and action["name"] == "Médiation scolaire au Ramier"
    assert action["departement"] == {"code": "31"} and action["topics"] == ["HEALTH", "SCHOOLING"]
    assert [m["id"] for m in action["managers"]] == data["managers"]
    assert [o["id"] for o in action["operators"]] == data["operators"]
    assert [s["id"] for s in action["sites"]] == data["sites"]
    assert action["finances"] == [] and action["indicators"] == []
    key = (await Action.get(name="Médiation scolaire au Ramier")).id
    assert action["id"] == gid(key)
    stored = await Action.get(id=key)
    assert stored.region_code == "76" and stored.overseas is False
    entry = await latest_entry(key)
    author, operator = await user("correspondent"), await user("operator")
    site = await open_site()
    assert entry.operation == "create" and entry.author_id == author.id
    assert entry.changes == {
        "name": [None, "Médiation scolaire au Ramier"],
        "goals": [None, "Scolariser tous les enfants du terrain."],
        "departement_id": [None, "31"],
        "region_code": [None, "76"],
        "overseas": [None, False],
        "started_at": [None, "2026-09-01"],
        "ended_at": [None, "2027-06-30"],
        "location_kind": [None, "on_site"],
        "topics": [None, ["health", "schooling"]],
        "managers": [None, [author.id]],
        "operators": [None, [operator.id]],
        "sites": [None, [site.id]],
    }
    audit = await AuditEntry.get(operation="action.create", subject_ids=[key])
    assert audit.kind == AuditKind.WRITE and audit.user_id == author.id
    assert audit.departement_code == "31" and audit.region_code == "76"


async def test_an_operator_creates_in_its_departement(hub: Hub) -> None:
    data = {"departementCode": "31", "name": "Accompagnement vers l'emploi",
            "startedAt": "2026-01-05", "locationKind": "OTHER"}  # fmt: skip
    payload = await hub.call("operator", CREATE, {"input": data})
    assert payload["errors"] == [] and payload["action"]["version"] == 1
    assert payload["action"]["managers"] == [] and payload["action"]["topics"] == []


@pytest.mark.parametrize(
    ("who", "departement", "message"),
    [
        ("external_observer", "33", "needs action.create here"),
        ("operator", "33", "needs action.create here"),  # outside its area
        ("correspondent", "13", "needs action.create here"),
        ("demo-commune-app", "31", "does not grant hub:write"),
        (None, "31", "Sign in to write"),
    ],
)
async def test_creating_is_refused_outside_the_policy(
    hub: Hub, unchanged: None, who: str | None, departement: str, message: str
) -> None:
    data = {"departementCode": departement, "name": "Refusée", "startedAt": "2026-01-05",
            "locationKind": "OTHER"}  # fmt: skip
    payload = await hub.call(who, CREATE, {"input": data})
    assert payload["action"] is None
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert message in payload["errors"][0]["message"]


async def test_a_commune_level_caller_creates_on_its_communes_sites(hub: Hub) -> None:
    # The intervener's area is Toulouse: an action of Haute-Garonne is in it only through
    # its sites, as for reads.
    toulouse = await Site.filter(commune_scope_code="31555", status=SiteStatus.OPEN).first()
    elsewhere = (
        await Site.filter(departement_code="31", status=SiteStatus.OPEN)
        .exclude(commune_scope_code="31555")
        .first()
    )
    assert toulouse and elsewhere
    data = {"departementCode": "31", "name": "Médiation scolaire", "startedAt": "2026-01-05",
            "locationKind": "ON_SITE"}  # fmt: skip
    for sites in (
        [],
        [gid(elsewhere.id, "Site")],
        [gid(toulouse.id, "Site"), gid(elsewhere.id, "Site")],
    ):
        refused = await hub.call("intervener", CREATE, {"input": data | {"sites": sites}})
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"], sites
    done = await hub.call(
        "intervener", CREATE, {"input": data | {"sites": [gid(toulouse.id, "Site")]}}
    )
    assert done["errors"] == [] and done["action"]["sites"] == [{"id": gid(toulouse.id, "Site")}]


LATER = TODAY.replace(year=TODAY.year + 6).isoformat()
# Placeholders of IDs that only exist once the demo data is there.
INACTIVE, SITE_33, SITE_31, UNKNOWN_USER = "<inactive>", "<site 33>", "<site 31>", "<unknown>"

CREATE_INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"name": ""}, "input.name", "REQUIRED"),
    ({"name": "   "}, "input.name", "REQUIRED"),
    ({"name": "x" * 201}, "input.name", "TOO_LONG"),
    ({"name": "nul\x00"}, "input.name", "INVALID"),
    ({"goals": "g" * 5001}, "input.goals", "TOO_LONG"),
    ({"goals": "\x00"}, "input.goals", "INVALID"),
    ({"locationDetails": "d" * 2001}, "input.locationDetails", "TOO_LONG"),
    ({"startedAt": "2026-09-01", "endedAt": "2026-08-31"}, "input.endedAt", "OUT_OF_RANGE"),
    ({"startedAt": "1999-12-31", "endedAt": None}, "input.startedAt", "OUT_OF_RANGE"),
    ({"startedAt": LATER, "endedAt": None}, "input.startedAt", "OUT_OF_RANGE"),
    ({"departementCode": "99"}, "input.departementCode", "NOT_FOUND"),
    ({"topics": ["HEALTH", "HOUSING", "HEALTH"]}, "input.topics.2", "INVALID"),
    ({"managers": [UNKNOWN_USER]}, "input.managers.0", "NOT_FOUND"),
    ({"managers": [INACTIVE]}, "input.managers.0", "INVALID"),
    ({"operators": [SITE_31]}, "input.operators.0", "INVALID"),  # a site is not a user
    ({"operators": ["not an id"]}, "input.operators.0", "INVALID"),
    ({"sites": [SITE_31, SITE_31]}, "input.sites.1", "INVALID"),
    ({"sites": [SITE_33]}, "input.sites.0", "INVALID"),  # not in the action's département
    ({"sites": [gid(2**40, "Site")]}, "input.sites.0", "NOT_FOUND"),
]  # fmt: skip


async def _resolve(value: Any) -> Any:
    """The input with its placeholders replaced by IDs of the demo data."""
    if isinstance(value, dict):
        return {key: await _resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [await _resolve(item) for item in value]
    if value == INACTIVE:
        inactive = await User.filter(status=UserStatus.INACTIVE).order_by("id").first()
        assert inactive is not None
        return gid(inactive.id, "User")
    if value == UNKNOWN_USER:
        return gid(2_000_000_000, "User")
    if value in (SITE_31, SITE_33):
        return gid((await open_site(value[-3:-1])).id, "Site")
    return value


@pytest.mark.parametrize(("change", "field", "code"), CREATE_INVALID, ids=lambda v: str(v)[:40])
async def test_each_creation_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, change: dict[str, Any], field: str, code: str
) -> None:
    data = await _resolve(await new_action(**change))
    payload = await hub.call("national_admin", CREATE, {"input": data})
    assert payload["action"] is None
    assert (field, code) in codes(payload), payload


async def test_a_site_the_caller_cannot_read_is_not_found(hub: Hub, unchanged: None) -> None:
    # Gironde is outside the operator's reach: its sites do not exist for the operator.
    site = await open_site("33")
    data = await new_action(sites=[gid(site.id, "Site")], managers=[], operators=[])
    payload = await hub.call("operator", CREATE, {"input": data})
    assert codes(payload) == [("input.sites.0", "NOT_FOUND")]


# Updates


async def test_a_manager_updates_fields_and_lists_and_it_is_traced(hub: Hub) -> None:
    action = await persona_action()
    topics = await ActionTopicLink.filter(action_id=action.id).values_list("topic", flat=True)
    operators = await User.filter(operated_actions__id=action.id).values_list("id", flat=True)
    # The operator and the intervener stay; the national administrator joins them.
    joining = [await user(who) for who in ("operator", "intervener", "national_admin")]
    change = {"name": "Suivi santé renforcé", "goals": None, "topics": ["HOUSING", "HEALTH"],
              "operators": [gid(u.id, "User") for u in joining],
              "locationDetails": "Terrain nord"}  # fmt: skip
    payload = await hub.call(
        "correspondent", UPDATE, {"id": gid(action.id), "version": action.version, "input": change}
    )
    assert payload["errors"] == []
    updated = payload["action"]
    assert updated["version"] == action.version + 1 and updated["name"] == "Suivi santé renforcé"
    assert updated["goals"] is None and updated["topics"] == ["HEALTH", "HOUSING"]
    assert sorted(o["id"] for o in updated["operators"]) == sorted(change["operators"])
    assert updated["locationDetails"] == "Terrain nord"
    entry = await latest_entry(action.id)
    assert entry.operation == "update"
    expected = {
        "name": [action.name, "Suivi santé renforcé"],
        "location_details": [action.location_details, "Terrain nord"],
        "topics": [sorted(str(t) for t in topics), ["health", "housing"]],
        "operators": [sorted(operators), sorted(u.id for u in joining)],
    }
    if action.goals is not None:
        expected["goals"] = [action.goals, None]
    if expected["topics"][0] == expected["topics"][1]:
        del expected["topics"]
    assert entry.changes == expected
    audit = await AuditEntry.filter(operation="action.update", subject_ids=[action.id]).first()
    assert audit is not None and audit.departement_code == "31"


UPDATE_INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"name": None}, "input.name", "REQUIRED"),
    ({"startedAt": None}, "input.startedAt", "REQUIRED"),
    ({"locationKind": None}, "input.locationKind", "REQUIRED"),
    ({"departementCode": None}, "input.departementCode", "REQUIRED"),
    ({"departementCode": "33"}, "input.departementCode", "INVALID"),  # its sites stay in 31
    ({"departementCode": "33", "sites": [SITE_31]}, "input.sites.0", "INVALID"),
    ({"endedAt": "2000-01-01"}, "input.endedAt", "OUT_OF_RANGE"),  # before the recorded start
    ({"startedAt": "2026-05-01", "endedAt": "2026-04-30"}, "input.endedAt", "OUT_OF_RANGE"),
    ({"name": "n" * 201}, "input.name", "TOO_LONG"),
    ({"locationDetails": "a\x00b"}, "input.locationDetails", "INVALID"),
    ({"managers": [INACTIVE]}, "input.managers.0", "INVALID"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "code"), UPDATE_INVALID, ids=lambda v: str(v)[:40])
async def test_each_update_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, change: dict[str, Any], field: str, code: str
) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "input": await _resolve(change)}
    payload = await hub.call("national_admin", UPDATE, variables)
    assert payload["action"] is None
    assert (field, code) in codes(payload), payload


async def test_an_operator_updates_only_the_actions_it_operates(hub: Hub) -> None:
    action = await unattached_action()
    variables = {"id": gid(action.id), "version": action.version}
    rename = {"input": {"name": "Par l'association"}}
    refused = await hub.call("operator", UPDATE, variables | rename)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert "needs action.update here" in refused["errors"][0]["message"]
    # The local administrator (A on 31) adds the operator to the action's operators.
    current = [gid(i, "User") for i in await User.filter(operated_actions__id=action.id)
               .order_by("id").values_list("id", flat=True)]  # fmt: skip
    operator = await user("operator")
    added = {"input": {"operators": [*current, gid(operator.id, "User")]}}
    done = await hub.call("local_admin", UPDATE, variables | added)
    assert done["errors"] == []
    allowed = await hub.call(
        "operator", UPDATE, variables | {"version": action.version + 1} | rename
    )
    assert allowed["errors"] == [] and allowed["action"]["name"] == "Par l'association"


@pytest.mark.parametrize(
    ("who", "departement", "code"),
    [
        ("external_observer", "31", "FORBIDDEN"),  # holds action.update nowhere: before any lookup
        ("external_observer", "33", "FORBIDDEN"),  # reads it, never updates
        ("intervener", "31", "FORBIDDEN"),  # own: not one of its operators
        ("national_actor", "31", "FORBIDDEN"),
        ("demo-association-app", "31", "FORBIDDEN"),  # an application is attached to nothing
        ("demo-commune-app", "31", "FORBIDDEN"),  # no hub:write
    ],
)
async def test_updates_are_refused_outside_the_policy(
    hub: Hub, unchanged: None, who: str, departement: str, code: str
) -> None:
    action = await unattached_action("intervener", departement)
    payload = await hub.call(
        who, UPDATE,
        {"id": gid(action.id), "version": action.version, "input": {"name": "Refusé"}},
    )  # fmt: skip
    assert payload["action"] is None
    assert [e["code"] for e in payload["errors"]] == [code]
    if code == "NOT_FOUND":
        assert codes(payload) == [("id", "NOT_FOUND")]


async def test_a_missing_action_is_not_found(hub: Hub, unchanged: None) -> None:
    for key in (999_999, 2**40):
        payload = await hub.call(
            "national_admin", UPDATE, {"id": gid(key), "version": 1, "input": {"name": "x"}}
        )
        assert codes(payload) == [("id", "NOT_FOUND")]


async def test_moving_an_action_needs_its_sites_and_creation_rights_there(hub: Hub) -> None:
    action = await unattached_action("operator", "31")
    variables = {"id": gid(action.id), "version": action.version}
    move = {"input": {"departementCode": "33", "sites": []}}
    local = await hub.call("local_admin", UPDATE, variables | move)
    assert [e["code"] for e in local["errors"]] == ["FORBIDDEN"]  # 33 is outside its area
    moved = await hub.call("national_admin", UPDATE, variables | move)
    assert moved["errors"] == [] and moved["action"]["departement"] == {"code": "33"}
    stored = await Action.get(id=action.id)
    assert stored.region_code == "75" and stored.departement_id == "33"
    entry = await latest_entry(action.id)
    assert entry.changes["departement_id"] == ["31", "33"]
    assert entry.changes["region_code"] == ["76", "75"]
    audit = await AuditEntry.filter(operation="action.update", subject_ids=[action.id]).first()
    assert audit is not None and audit.departement_code == "33"


# Finances


async def test_attached_operators_and_correspondents_write_finances(hub: Hub) -> None:
    action = await persona_action()
    year = TODAY.year
    old = await ActionFinance.filter(action_id=action.id).count()
    rows = [
        {"financeType": "STATE", "plannedAmount": "120000", "spentAmount": "45000.5",
         "comment": "Convention 2026"},
        {"financeType": "EUROPEAN", "plannedAmount": "30000.25"},
    ]  # fmt: skip
    variables = {"id": gid(action.id), "version": action.version, "year": year}
    payload = await hub.call("operator", FINANCES, variables | {"finances": rows})
    assert payload["errors"] == []
    assert payload["action"]["version"] == action.version + 1
    of_year = [f for f in payload["action"]["finances"] if f["year"] == year]
    assert sorted(of_year, key=lambda f: f["financeType"]) == [
        {"year": year, "financeType": "EUROPEAN", "plannedAmount": "30000.25",
         "spentAmount": None, "comment": None},
        {"year": year, "financeType": "STATE", "plannedAmount": "120000.00",
         "spentAmount": "45000.50", "comment": "Convention 2026"},
    ]  # fmt: skip
    entry = await latest_entry(action.id)
    assert list(entry.changes) == ["finances"]
    before, after = entry.changes["finances"]
    assert len(before) == old and all(r["year"] != year for r in after[: len(after) - 2])
    assert {"year": year, "finance_type": "state", "planned_amount": "120000.00",
            "spent_amount": "45000.50", "comment": "Convention 2026"} in after  # fmt: skip
    assert [r for r in before if r["year"] != year] == [r for r in after if r["year"] != year]
    audit = await AuditEntry.filter(
        operation="action.finances.upsert", subject_ids=[action.id]
    ).first()
    assert audit is not None and audit.user_id == (await user("operator")).id
    # The correspondent manages it and reads finances in 31: it may empty the year.
    emptied = await hub.call(
        "correspondent", FINANCES, variables | {"version": action.version + 1, "finances": []}
    )
    assert emptied["errors"] == []
    assert [f for f in emptied["action"]["finances"] if f["year"] == year] == []


@pytest.mark.parametrize(
    ("who", "attached"),
    [
        ("intervener", True),  # operates it, but never reads finances
        ("institutional_partner", False),
        ("national_actor", False),
        ("demo-commune-app", False),
    ],
)
async def test_finances_are_refused_without_both_capabilities(
    hub: Hub, unchanged: None, who: str, attached: bool
) -> None:
    action = await (persona_action() if attached else unattached_action("intervener"))
    variables = {"id": gid(action.id), "version": action.version, "year": TODAY.year,
                 "finances": [{"financeType": "STATE", "plannedAmount": "1"}]}  # fmt: skip
    payload = await hub.call(who, FINANCES, variables)
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_a_local_admin_writes_finances_of_any_action_of_its_area(hub: Hub) -> None:
    action = await unattached_action("local_admin")
    variables = {"id": gid(action.id), "version": action.version, "year": 2024,
                 "finances": [{"financeType": "PRIVATE", "spentAmount": "0"}]}  # fmt: skip
    payload = await hub.call("local_admin", FINANCES, variables)
    assert payload["errors"] == []
    rows = await ActionFinance.filter(action_id=action.id, year=2024).values_list(
        "finance_type", flat=True
    )
    assert [str(r) for r in rows] == ["private"]


FINANCE_INVALID: list[tuple[int, list[dict[str, Any]], str, str]] = [
    (1999, [], "year", "OUT_OF_RANGE"),
    (TODAY.year + 6, [], "year", "OUT_OF_RANGE"),
    (2025, [{"financeType": "STATE", "plannedAmount": "-1"}], "finances.0.plannedAmount",
     "OUT_OF_RANGE"),
    (2025, [{"financeType": "STATE", "spentAmount": "10000000000.01"}], "finances.0.spentAmount",
     "OUT_OF_RANGE"),
    (2025, [{"financeType": "STATE", "plannedAmount": "12.345"}], "finances.0.plannedAmount",
     "INVALID"),
    (2025, [{"financeType": "STATE", "plannedAmount": "NaN"}], "finances.0.plannedAmount",
     "INVALID"),
    (2025, [{"financeType": "STATE"}, {"financeType": "OTHER"}, {"financeType": "STATE"}],
     "finances.2", "INVALID"),
    (2025, [{"financeType": "OTHER", "comment": "c" * 2001}], "finances.0.comment", "TOO_LONG"),
    (2025, [{"financeType": "OTHER", "comment": "\x00"}], "finances.0.comment", "INVALID"),
]  # fmt: skip


@pytest.mark.parametrize(("year", "rows", "field", "code"), FINANCE_INVALID, ids=str)
async def test_each_finance_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, year: int, rows: list[dict[str, Any]], field: str, code: str
) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "year": year, "finances": rows}
    payload = await hub.call("national_admin", FINANCES, variables)
    assert payload["action"] is None
    assert (field, code) in codes(payload), payload


# Indicators


async def test_indicators_are_merged_into_the_year_and_traced(hub: Hub) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "year": 2030}
    first = {"people": 40, "households": 12, "women": 18, "minors": 15, "minorsSchoolAge": 10,
             "enrolledPrimary": 6}  # fmt: skip
    payload = await hub.call("operator", INDICATORS, variables | {"indicators": first})
    assert payload["errors"] == []
    row = [i for i in payload["action"]["indicators"] if i["year"] == 2030]
    assert row == [{"year": 2030, "people": 40, "households": 12, "women": 18, "minors": 15}]
    entry = await latest_entry(action.id)
    before, after = entry.changes["indicators"]
    assert [r["year"] for r in after] == sorted([r["year"] for r in before] + [2030])
    added = next(r for r in after if r["year"] == 2030)
    assert (added["people"], added["enrolled_primary"], added["housed_people"]) == (40, 6, None)
    # A count left out keeps its value, null clears one; the result is checked as a whole.
    version = {"version": action.version + 1}
    over = await hub.call(
        "operator", INDICATORS, variables | version | {"indicators": {"households": 41}}
    )
    assert codes(over) == [("indicators.households", "OUT_OF_RANGE")]
    second = {"people": 50, "women": None}
    done = await hub.call("intervener", INDICATORS, variables | version | {"indicators": second})
    assert done["errors"] == []
    stored = await ActionIndicators.get(action_id=action.id, year=2030)
    assert (stored.people, stored.households, stored.women, stored.enrolled_primary) == (
        50, 12, None, 6,
    )  # fmt: skip
    entry = await latest_entry(action.id)
    audit = await AuditEntry.filter(operation="action.indicators.upsert", subject_ids=[action.id])
    assert len(audit) == 2 and entry.author_id == (await user("intervener")).id


INDICATOR_INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"people": -1}, "indicators.people", "OUT_OF_RANGE"),
    ({"people": 100_001}, "indicators.people", "OUT_OF_RANGE"),
    ({"enrolledHigh": -3}, "indicators.enrolledHigh", "OUT_OF_RANGE"),
    # Each part above its whole.
    *(
        ({to_camel_case(part): 3, to_camel_case(whole): 2}, f"indicators.{to_camel_case(part)}",
         "OUT_OF_RANGE")
        for part, whole in INDICATOR_PARTS
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("indicators", "field", "code"), INDICATOR_INVALID, ids=lambda v: str(v)[:50]
)
async def test_each_indicator_rule_refuses_and_writes_nothing(
    hub: Hub, unchanged: None, indicators: dict[str, Any], field: str, code: str
) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "year": 2031,
                 "indicators": indicators}  # fmt: skip
    payload = await hub.call("national_admin", INDICATORS, variables)
    assert payload["action"] is None
    assert (field, code) in codes(payload), payload


async def test_indicator_years_stay_in_range(hub: Hub, unchanged: None) -> None:
    action = await persona_action()
    for year in (1999, TODAY.year + 6):
        variables = {"id": gid(action.id), "version": action.version, "year": year,
                     "indicators": {"people": 1}}  # fmt: skip
        payload = await hub.call("national_admin", INDICATORS, variables)
        assert codes(payload) == [("year", "OUT_OF_RANGE")]


async def test_indicators_are_refused_to_whom_cannot_update(hub: Hub, unchanged: None) -> None:
    action = await unattached_action("operator")
    variables = {"id": gid(action.id), "version": action.version, "year": 2026,
                 "indicators": {"people": 1}}  # fmt: skip
    payload = await hub.call("operator", INDICATORS, variables)
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


# Versions, concurrency, atomicity


@pytest.mark.parametrize("mutation", ["update", "finances", "indicators"])
async def test_a_stale_version_is_a_conflict_and_writes_nothing(hub: Hub, mutation: str) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version}
    first = await hub.call("correspondent", UPDATE, variables | {"input": {"name": "A"}})
    assert first["errors"] == []
    before = await Trace().snapshot()
    query, extra = {
        "update": (UPDATE, {"input": {"name": "B"}}),
        "finances": (FINANCES, {"year": 2026, "finances": []}),
        "indicators": (INDICATORS, {"year": 2026, "indicators": {"people": 1}}),
    }[mutation]
    stale = await hub.call("correspondent", query, variables | extra)
    assert stale["action"] is None
    assert stale["errors"] == [
        {"field": "version", "code": "CONFLICT", "currentVersion": action.version + 1,
         "message": f"The action changed since version {action.version}: it is at version "
                    f"{action.version + 1}. Read it again and re-apply your change."}
    ]  # fmt: skip
    assert await Trace().snapshot() == before and (await Action.get(id=action.id)).name == "A"


async def test_concurrent_updates_one_wins_the_other_conflicts(hub: Hub) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version}
    results = await asyncio.gather(
        hub.call("correspondent", UPDATE, variables | {"input": {"name": "Ours"}}),
        hub.call("local_admin", UPDATE, variables | {"input": {"goals": "Theirs"}}),
    )
    winners = [r for r in results if r["errors"] == []]
    losers = [r for r in results if r["errors"]]
    assert len(winners) == 1 and len(losers) == 1
    assert [e["code"] for e in losers[0]["errors"]] == ["CONFLICT"]
    stored = await Action.get(id=action.id)
    assert stored.version == action.version + 1
    # Never merged: exactly one of the two changes is there.
    assert (stored.name == "Ours") != (stored.goals == "Theirs")


async def test_concurrent_finance_upserts_one_wins(hub: Hub) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "year": 2027}
    results = await asyncio.gather(
        hub.call("correspondent", FINANCES,
                 variables | {"finances": [{"financeType": "STATE", "plannedAmount": "1"}]}),
        hub.call("local_admin", FINANCES,
                 variables | {"finances": [{"financeType": "OTHER", "plannedAmount": "2"}]}),
    )  # fmt: skip
    assert sorted(bool(r["errors"]) for r in results) == [False, True]
    rows = await ActionFinance.filter(action_id=action.id, year=2027).count()
    assert rows == 1


@pytest.mark.parametrize("mutation", ["create", "update", "finances", "indicators"])
async def test_a_failure_midway_leaves_nothing_behind(
    hub: Hub, unchanged: None, failing_audit: None, mutation: str
) -> None:
    action = await persona_action()
    variables: dict[str, Any] = {"id": gid(action.id), "version": action.version}
    query, extra = {
        "create": (CREATE, {"input": await new_action(name="Jamais créée")}),
        "update": (UPDATE, {"input": {"name": "Jamais", "topics": ["HOUSING"], "sites": []}}),
        "finances": (FINANCES, {"year": 2026, "finances": [{"financeType": "STATE"}]}),
        "indicators": (INDICATORS, {"year": 2026, "indicators": {"people": 99_999}}),
    }[mutation]
    if mutation == "create":
        variables = {}
    body = await hub.ask("correspondent", query, variables | extra)
    assert body["data"] is None and body["errors"]
    stored = await Action.get(id=action.id)
    assert stored.name == action.name and stored.version == action.version


# History and asOf


async def test_finance_changes_are_hidden_from_who_cannot_read_finances(hub: Hub) -> None:
    action = await persona_action()
    variables = {"id": gid(action.id), "version": action.version, "year": 2025,
                 "finances": [{"financeType": "PRIVATE", "plannedAmount": "777"}]}  # fmt: skip
    assert (await hub.call("correspondent", FINANCES, variables))["errors"] == []
    seen = await hub.ask("correspondent", HISTORY, {"id": gid(action.id)})
    (entry,) = seen["data"]["action"]["history"]["nodes"]
    assert [c["field"] for c in entry["changes"]] == ["finances"]
    # The intervener operates the action but may not read its finances.
    hidden = await hub.ask("intervener", HISTORY, {"id": gid(action.id)})
    assert "errors" not in hidden
    (entry,) = hidden["data"]["action"]["history"]["nodes"]
    assert entry == {"operation": "UPDATE", "changes": []}


DEMO_END = datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC)
# Every field but the version, which a rebuilt action keeps at today's.
COLUMNS = ACTION_FIELDS.replace("id version", "id")
AS_OF = f"query ($id: ID!, $day: Date!) {{ action(id: $id, asOf: $day) {{ {COLUMNS} }} }}"
NOW = f"query ($id: ID!) {{ action(id: $id) {{ {COLUMNS} }} }}"


async def test_as_of_rebuilds_the_action_as_it_was(hub: Hub) -> None:
    # An action of the demo data (whose history ends on 2026-11-01) no test has changed.
    action = (
        await Action.filter(updated_at__lt=DEMO_END)
        .exclude(departement_id__in=("31", "33"))
        .order_by("id")
        .first()
    )
    assert action is not None
    variables = {"id": gid(action.id)}
    before = (await hub.ask("national_admin", NOW, variables))["data"]["action"]
    assert before["topics"] and before["managers"] and before["finances"], before
    change = {"name": "Renommée", "goals": "Autres objectifs", "startedAt": "2020-02-02",
              "endedAt": None, "locationKind": "HOUSING",
              "locationDetails": "12 rue Neuve", "topics": ["SITE_SAFETY"], "managers": [],
              "operators": [], "sites": []}  # fmt: skip
    done = await hub.call(
        "national_admin", UPDATE, variables | {"version": action.version, "input": change}
    )
    assert done["errors"] == []
    # Today's figures of a year replaced, and those of another year added.
    figures = [{"financeType": "EUROPEAN", "plannedAmount": "1000.00"}]
    for year in (2025, 2026):
        version = (await Action.get(id=action.id)).version
        paid = await hub.call(
            "national_admin", FINANCES,
            variables | {"version": version, "year": year, "finances": figures},
        )  # fmt: skip
        assert paid["errors"] == []
    now = (await hub.ask("national_admin", NOW, variables))["data"]["action"]
    assert now["topics"] == ["SITE_SAFETY"] and now["managers"] == []
    then = await hub.ask("national_admin", AS_OF, variables | {"day": "2026-11-01"})
    # Every list comes back as it was: topics, people, sites, finances, indicators.
    assert then["data"]["action"] == before
    created = await HistoryEntry.filter(
        subject_type=HistorySubject.ACTION, subject_id=action.id, operation="create"
    ).first()
    assert created is not None
    too_early = created.changed_at.date() - datetime.timedelta(days=1)
    absent = await hub.ask("national_admin", AS_OF, variables | {"day": too_early.isoformat()})
    assert absent["data"]["action"] is None
    assert absent["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Computed here, not at import: a run may cross midnight.
    tomorrow = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)
    future = tomorrow.isoformat()
    ahead = await hub.ask("national_admin", AS_OF, variables | {"day": future})
    assert ahead["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_as_of_reads_the_action_where_it_stood(hub: Hub) -> None:
    # Moved from Haute-Garonne to Gironde today: the observer (Gironde) reads it now, but not
    # as it stood before, in Haute-Garonne.
    action = await unattached_action("external_observer", "31")
    variables = {"id": gid(action.id)}
    move = {"departementCode": "33", "sites": []}
    done = await hub.call(
        "national_admin", UPDATE, variables | {"version": action.version, "input": move}
    )
    assert done["errors"] == []
    now = await hub.ask("external_observer", NOW, variables)
    assert now["data"]["action"]["departement"] == {"code": "33"}
    then = await hub.ask("external_observer", AS_OF, variables | {"day": "2026-11-01"})
    assert then["data"]["action"] is None
    assert then["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    admin = await hub.ask("national_admin", AS_OF, variables | {"day": "2026-11-01"})
    assert admin["data"]["action"]["departement"] == {"code": "31"}
