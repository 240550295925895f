"""One decision per object and capability, for GraphQL and the exports.

An action stands in its département; a grant on an EPCI or a commune reaches it through its
sites. The field gate and the export's finance columns must agree on that, and on every
other row: both ask ``resolvers.decisions.decide``. Tested with a grant scoped to an EPCI (a
correspondent's role default, on its organization's area) and one scoped to a commune (a
user override of an institutional partner), on actions made for the purpose, then on every
action and site each caller may export.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from strawberry.relay import to_base64
from tortoise.expressions import Q

from hub.models import (
    Action,
    ActionFinance,
    Commune,
    InterventionArea,
    Organization,
    PermissionOverride,
    Site,
    User,
)
from hub.models.enums import (
    ActionLocationKind,
    FinanceType,
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    UserStatus,
)
from tests.support import Hub, bearer, error_codes
from tests.test_exports import read_csv

NOW = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
PLANNED = Decimal("12345.00")
FINANCES = "query ($id: ID!) { action(id: $id) { finances { year plannedAmount } } }"
ALL_FINANCES = """query ($after: String) { actions(first: 100, after: $after) {
  nodes { id finances { year } } pageInfo { hasNextPage endCursor } } }"""
ALL_GATED_SITE_FIELDS = """query ($after: String) { sites(first: 100, after: $after) {
  nodes { id legalProcedures { ownerComplaint } ownership { ownerType } address }
  pageInfo { hasNextPage endCursor } } }"""
YEARS = "Années financées"
# A column of each gated group of the site export, never empty where it may be read (tri-states
# and the owner type default to "unknown"; every demo site has an address), and the field the
# same capability gates in GraphQL.
SITE_GROUPS = {
    "Plainte du propriétaire": "legalProcedures",
    "Type de propriétaire": "ownership",
    "Adresse": "address",
}


@dataclass(frozen=True)
class Case:
    """A caller whose grant reaches one action through its site, and not another action of
    the same département whose site stands elsewhere."""

    who: str
    inside: str
    outside: str


async def _action(name: str, site: Site) -> str:
    action = await Action.create(
        name=name, departement_id=site.departement_code, region_code=site.region_code,
        started_at=datetime.date(2026, 1, 1), location_kind=ActionLocationKind.ON_SITE,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    await action.sites.add(site)
    await ActionFinance.create(
        action=action, year=2026, finance_type=FinanceType.STATE, planned_amount=PLANNED
    )
    return to_base64("Action", action.id)


async def _caller(name: str, role: Role, level: LocationLevel, code: str) -> User:
    organization = await Organization.create(
        name=f"Organisation {name}", category=OrganizationCategory.PUBLIC_SERVICE,
        type=OrganizationType.PREFECTURE,
    )  # fmt: skip
    await InterventionArea.create(organization=organization, level=level, code=code)
    return await User.create(
        organization=organization, first_name="Agent", last_name=name,
        email=f"{name}@decision.example", role=role, status=UserStatus.ACTIVE,
    )  # fmt: skip


async def _case(name: str, area: Q, outside_area: Q, caller: User) -> Case:
    inside_site = await Site.filter(area, departement_code="31").order_by("id").first()
    outside_site = await Site.filter(outside_area, departement_code="31").order_by("id").first()
    assert inside_site and outside_site, "the demo data has sites in and out of the area"
    return Case(
        who=caller.email,
        inside=await _action(f"Action dans {name}", inside_site),
        outside=await _action(f"Action hors de {name}", outside_site),
    )


@pytest.fixture(scope="module")
async def cases(own_database: Any) -> AsyncIterator[dict[str, Case]]:
    toulouse = await Commune.get(code="31555")
    assert toulouse.epci_id, "Toulouse belongs to an EPCI"
    # A correspondent's finances reach its areas (A): here an EPCI.
    epci_caller = await _caller("epci", Role.CORRESPONDENT, LocationLevel.EPCI, toulouse.epci_id)
    epci = await _case(
        "l'EPCI", Q(epci_code=toulouse.epci_id), ~Q(epci_code=toulouse.epci_id), epci_caller
    )
    # An institutional partner never reads finances, unless a user override grants them
    # on its areas: here a commune.
    commune_caller = await _caller(
        "commune", Role.INSTITUTIONAL_PARTNER, LocationLevel.COMMUNE, "31555"
    )
    await PermissionOverride.create(
        user=commune_caller, capability="action.finances.read", level="A"
    )
    commune = await _case(
        "la commune", Q(commune_scope_code="31555"),
        ~Q(commune_scope_code="31555") & ~Q(epci_code=toulouse.epci_id), commune_caller,
    )  # fmt: skip
    yield {"epci": epci, "commune": commune}


async def _export(hub: Hub, who: str, kind: str = "actions") -> dict[str, dict[str, str]]:
    response = await hub.http.get(f"/exports/{kind}.csv", headers=bearer(await hub.token(who)))
    assert response.status_code == 200, response.text
    return {row["Identifiant API"]: row for row in read_csv(response.content)}


async def _nodes(hub: Hub, who: str, query: str) -> list[dict[str, Any]]:
    """Every node of the list the query pages through, as the caller reads it."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        body = await hub.ask(who, query, {"after": after})
        assert set(error_codes(body)) <= {"FORBIDDEN"}, body
        (page,) = body["data"].values()
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def _graphql_readable(hub: Hub, who: str) -> dict[str, bool]:
    """Every action the caller may read: whether its finances resolve (not FORBIDDEN)."""
    nodes = await _nodes(hub, who, ALL_FINANCES)
    return {node["id"]: node["finances"] is not None for node in nodes}


@pytest.mark.parametrize("scope", ["epci", "commune"])
async def test_a_local_grant_reaches_an_actions_finances_through_its_sites(
    hub: Hub, cases: dict[str, Case], scope: str
) -> None:
    case = cases[scope]
    inside = await hub.ask(case.who, FINANCES, {"id": case.inside})
    assert inside["data"]["action"]["finances"] == [
        {"year": 2026, "plannedAmount": str(PLANNED)}
    ], inside
    outside = await hub.ask(case.who, FINANCES, {"id": case.outside})
    assert outside["data"]["action"] == {"finances": None}
    assert error_codes(outside) == ["FORBIDDEN"]
    rows = await _export(hub, case.who)
    assert rows[case.inside]["Montant prévu (total)"] == str(PLANNED).replace(".", ",")
    assert rows[case.inside][YEARS] == "2026"
    assert rows[case.outside]["Montant prévu (total)"] == "" and rows[case.outside][YEARS] == ""


async def test_a_departement_grant_does_not_reach_another_departements_action_through_sites(
    hub: Hub,
) -> None:
    # Areas: Toulouse, and a whole département elsewhere. Its sites do not bring the actions
    # of Haute-Garonne run on them within the grant: only an EPCI or a commune grant does,
    # as the rows in SQL (and so the statistics) decide.
    elsewhere = await Site.exclude(departement_code="31").order_by("id").first()
    assert elsewhere is not None
    caller = await _caller("mixte", Role.CORRESPONDENT, LocationLevel.COMMUNE, "31555")
    organization = await caller.organization
    await InterventionArea.create(
        organization=organization, level=LocationLevel.DEPARTEMENT, code=elsewhere.departement_code
    )
    action = await Action.create(
        name="Action de Haute-Garonne ailleurs", departement_id="31", region_code="76",
        started_at=datetime.date(2026, 1, 1), location_kind=ActionLocationKind.ON_SITE,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    await action.sites.add(elsewhere)
    await ActionFinance.create(
        action=action, year=2026, finance_type=FinanceType.STATE, planned_amount=PLANNED
    )
    key = to_base64("Action", action.id)
    seen = await hub.ask(caller.email, FINANCES, {"id": key})
    assert seen["data"]["action"] == {"finances": None} and error_codes(seen) == ["FORBIDDEN"]
    assert (await _export(hub, caller.email))[key][YEARS] == ""


@pytest.mark.parametrize(
    "who", ["epci", "commune", "operator", "correspondent", "local_admin", "national_admin"]
)
async def test_the_export_and_the_field_gate_agree_on_every_action(
    hub: Hub, cases: dict[str, Case], who: str
) -> None:
    caller = cases[who].who if who in cases else who
    readable = await _graphql_readable(hub, caller)
    rows = await _export(hub, caller)
    assert set(rows) <= set(readable)
    financed = {key for key, row in rows.items() if row.get(YEARS)}
    # Every action has finances (demo actions have 1 to 3 years of them).
    assert financed == {key for key in rows if readable[key]}
    assert financed


@pytest.mark.parametrize(
    "who",
    ["operator.legal", "intervener", "institutional_partner", "local_admin", "national_admin"],
)
async def test_the_export_and_the_field_gates_agree_on_every_site(hub: Hub, who: str) -> None:
    nodes = {node["id"]: node for node in await _nodes(hub, who, ALL_GATED_SITE_FIELDS)}
    rows = await _export(hub, who, "sites")
    assert rows and set(rows) <= set(nodes)
    for column, field in SITE_GROUPS.items():
        exported = {key for key, row in rows.items() if row.get(column)}
        assert exported == {key for key in rows if nodes[key][field] is not None}, column
