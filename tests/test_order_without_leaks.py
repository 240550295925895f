"""Orderings and filters never reveal gated values to a caller who may not read them.

Each list input that reads gated data (a user's name, a site's legal procedures, its exact
location) is tested the same way: change the gated values in the database, and the answer a
caller without the capability gets must not change, while a caller holding it sees the
change (so that the test can fail). Every input of the lists is classified below: a new one
must be, and one on gated data needs its test here.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest
from strawberry.relay import to_base64

from hub.models import Organization, Site, User
from hub.models.enums import (
    LocationLevel,
    OrganizationCategory,
    OrganizationType,
    Role,
    SiteStatus,
    UserStatus,
)
from resolvers.filters import (
    ActionFilter,
    AuditFilter,
    OrganizationFilter,
    SiteFilter,
    SiteOrderField,
)
from tests.support import Hub, bearer
from tests.test_exports import read_csv


def _fields(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Inputs of the lists that read only what any caller of the list may read.
ON_PUBLIC_DATA: dict[str, frozenset[str]] = {
    "SiteFilter": _fields(
        "locations zone statuses field_types population origins without_intervention "
        "has_actions out_of_date updated_before"
    ),
    "SiteOrderField": frozenset(SiteOrderField.__members__),
    "ActionFilter": _fields("locations zone topics year operator_organization search"),
    "OrganizationFilter": _fields("categories types active search"),
    # Only audit.read holders list the audit log.
    "AuditFilter": _fields("kinds operations since until user"),
}
# Inputs and orderings of the lists that read gated data, and the test showing they do not
# reveal it.
ON_GATED_DATA: dict[tuple[str, str], str] = {
    ("SiteFilter", "has_legal_procedure"): "test_the_legal_procedure_filter_does_not_depend_on",
    ("SiteFilter", "search"): "test_the_search_and_the_map_do_not_depend_on",  # the address
    ("SiteFilter", "bounding_box"): "test_the_search_and_the_map_do_not_depend_on",
    ("Organization.members", "order"): "test_members_are_ordered_by_name_only_for",
}
INPUTS: dict[str, type[Any]] = {
    "SiteFilter": SiteFilter,
    "SiteOrderField": SiteOrderField,
    "ActionFilter": ActionFilter,
    "OrganizationFilter": OrganizationFilter,
    "AuditFilter": AuditFilter,
}
MEMBERS = """query ($id: ID!) { node(id: $id) { ... on Organization {
  members(first: 50) { nodes { id } } } } }"""
SITES = "query ($filter: SiteFilter) { sites(first: 500, filter: $filter) { nodes { id } } }"


def _names(input_type: type[Any]) -> set[str]:
    if issubclass(input_type, Enum):
        return set(input_type.__members__)
    return set(input_type.__annotations__)


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_list_input_is_decided(name: str) -> None:
    gated = {field for kind, field in ON_GATED_DATA if kind == name}
    assert not gated & ON_PUBLIC_DATA[name]
    assert _names(INPUTS[name]) == gated | ON_PUBLIC_DATA[name]


def test_every_input_on_gated_data_has_its_test() -> None:
    tests = [name for name in globals() if name.startswith("test_")]
    for prefix in ON_GATED_DATA.values():
        assert any(name.startswith(prefix) for name in tests), prefix


# --- the members of an organization ------------------------------------------------------------


async def _organization(name: str, departement: str, last_names: list[str]) -> Organization:
    organization = await Organization.create(
        name=name, category=OrganizationCategory.ASSOCIATION, type=OrganizationType.ASSOCIATION,
        location_level=LocationLevel.DEPARTEMENT, location_code=departement,
    )  # fmt: skip
    for number, last_name in enumerate(last_names):
        await User.create(
            organization=organization, first_name="Membre", last_name=last_name,
            email=f"{number}.{departement}@members.example", role=Role.OPERATOR,
            status=UserStatus.ACTIVE,
        )  # fmt: skip
    return organization


async def _members(hub: Hub, who: str, organization: Organization) -> list[str]:
    body = await hub.ask(who, MEMBERS, {"id": to_base64("Organization", organization.id)})
    return [node["id"] for node in body["data"]["node"]["members"]["nodes"]]


async def _swap_names(organization: Organization) -> None:
    """The alphabetical order of the members becomes its reverse."""
    users = await User.filter(organization_id=organization.id).order_by("last_name")
    for user, other in zip(users, reversed(users), strict=True):
        await User.filter(id=user.id).update(last_name=f"{other.last_name} ")


async def test_members_are_ordered_by_name_only_for_who_may_read_names(hub: Hub) -> None:
    # The local administrator reads names (user.read A) in 31, not in 33; the operator
    # nowhere; the national administrator everywhere.
    in_31 = await _organization("Membres en 31", "31", ["Martin", "Abadie", "Zola"])
    in_33 = await _organization("Membres en 33", "33", ["Martin", "Abadie", "Zola"])
    cases = [
        ("operator", in_31, False), ("local_admin", in_31, True), ("local_admin", in_33, False),
        ("national_admin", in_33, True),
    ]  # fmt: skip
    before = {(who, org.id): await _members(hub, who, org) for who, org, _ in cases}
    await _swap_names(in_31)
    await _swap_names(in_33)
    for who, organization, reads_names in cases:
        first, then = before[(who, organization.id)], await _members(hub, who, organization)
        assert len(first) == 3
        if reads_names:
            assert then == list(reversed(first)), who
        else:
            assert then == first, who


# --- site filters on gated data --------------------------------------------------------------


async def _sites(hub: Hub, who: str, site_filter: dict[str, Any]) -> list[str]:
    body = await hub.ask(who, SITES, {"filter": site_filter})
    return [node["id"] for node in body["data"]["sites"]["nodes"]]


async def _exported(hub: Hub, who: str, site_filter: dict[str, Any]) -> list[str]:
    response = await hub.http.get(
        "/exports/sites.csv",
        params={"filter": json.dumps(site_filter)},
        headers=bearer(await hub.token(who)),
    )
    assert response.status_code == 200, response.text
    return [row["Identifiant API"] for row in read_csv(response.content)]


async def _lists(hub: Hub, who: str, site_filter: dict[str, Any]) -> tuple[list[str], ...]:
    return await _sites(hub, who, site_filter), await _exported(hub, who, site_filter)


async def _site(departement: str, **conditions: Any) -> Site:
    site = (
        await Site.filter(departement_code=departement, status=SiteStatus.OPEN, **conditions)
        .order_by("id")
        .first()
    )
    assert site is not None
    return site


async def test_the_legal_procedure_filter_does_not_depend_on_unreadable_procedures(
    hub: Hub,
) -> None:
    site = await _site("31", has_legal_procedure=False)
    wanted = {"hasLegalProcedure": True, "locations": [{"level": "DEPARTEMENT", "code": "31"}]}
    before = {who: await _lists(hub, who, wanted) for who in ("operator", "operator.legal")}
    await Site.filter(id=site.id).update(has_legal_procedure=True)
    assert await _lists(hub, "operator", wanted) == before["operator"]
    gid = to_base64("Site", site.id)
    for listed in await _lists(hub, "operator.legal", wanted):
        assert gid in listed
    assert all(gid not in listed for listed in before["operator.legal"])


async def test_the_search_and_the_map_do_not_depend_on_unreadable_locations(hub: Hub) -> None:
    # The external observer reads sites in 33, never their exact location.
    site = await _site("33")
    searched = {"search": "Quintalzephyr"}
    boxed = {"boundingBox": {"south": 10.0, "west": 10.0, "north": 11.0, "east": 11.0}}
    observer = [await _sites(hub, "external_observer", f) for f in (searched, boxed)]
    await Site.filter(id=site.id).update(
        address="Impasse Quintalzephyr", latitude=10.5, longitude=10.5
    )
    assert [await _sites(hub, "external_observer", f) for f in (searched, boxed)] == observer
    gid = to_base64("Site", site.id)
    for site_filter in (searched, boxed):
        assert gid in await _sites(hub, "national_admin", site_filter)
