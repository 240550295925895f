"""The demo data set: invariants, personas, history, determinism, refusal, reset, atomicity.

Runs on SQLite and on PostgreSQL (skipped when no server answers), each time in throwaway
databases of its own. Tortoise holds one global connection: these fixtures switch it, and
give the suite's shared database back when they are done.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from itertools import pairwise
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.models import Model

from hub.demo import (
    PARTNER_APPS,
    PERSONAS,
    REFERENCE_DATE,
    DemoDataExists,
    TerritoriesMissing,
    seed_demo,
)
from hub.demo.actions import TRACKED as ACTION_FIELDS
from hub.demo.site_state import TRACKED as SITE_FIELDS
from hub.models import (
    Action,
    ActionFinance,
    ActionIndicators,
    Comment,
    HistoryEntry,
    InterventionArea,
    Organization,
    PartnerApplication,
    Site,
    SiteActor,
    SiteClosingSolution,
    User,
)
from hub.models.derived import refresh_derived
from hub.models.enums import HistoryOperation, OrganizationType, SiteStatus, UserStatus
from hub.territories import load_territories
from tests.support import Databases, isolated_database, use_database

DEMO_TEST_SITES = 60
DEMO_TEST_SEED = 7
OUT_OF_DATE = timedelta(days=183)
POPULATION_PARTS = ("population_households", "population_women", "population_minors")
AGE_BANDS = ("minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18")
COUNTS = (
    "population_total", *POPULATION_PARTS, *AGE_BANDS, "minors_in_school",
    "caravans", "huts", "tents", "cars", "mattresses",
)  # fmt: skip
PAST_DATES = (
    "declared_at", "installed_at", "population_counted_at", "justice_decision_date",
    "police_requested_at", "police_granted_at", "administrative_order_date",
    "insalubrity_order_date", "closed_at",
)  # fmt: skip
CHECKSUM_MODELS: tuple[type[Model], ...] = (
    Organization, User, InterventionArea, Site, SiteActor, Action, ActionFinance,
    ActionIndicators, Comment, HistoryEntry,
)  # fmt: skip
THROUGH_TABLES = (
    "site_reinstallation", "action_manager", "action_operator", "action_site",
    "comment_target_user", "comment_target_organization",
)  # fmt: skip
# The checksum of the seed above, whatever the backend.
PINNED_CHECKSUM = "5063f88217d02cb575609184d4a072e81c51ee39cf484db2fc9737a09c94336a"


@dataclass(frozen=True)
class DemoSeeded:
    backend: str
    url: str
    databases: Databases
    counts: dict[str, int]
    checksum: str


@pytest.fixture(scope="module")
async def demo_seeded(databases: Databases, backend: str) -> AsyncIterator[DemoSeeded]:
    async with isolated_database(databases, "demo_seed") as url:
        await load_territories()
        counts = await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED)
        yield DemoSeeded(backend, url, databases, counts, await demo_checksum())


# --- helpers --------------------------------------------------------------------------------


def demo_canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


async def demo_checksum() -> str:
    """A digest of the main tables, rows by id, in a backend-neutral form."""
    digest = hashlib.sha256()
    for model in CHECKSUM_MODELS:
        names = list(model._meta.fields_db_projection)
        for row in await model.all().order_by("id").values_list(*names):
            digest.update(repr(tuple(demo_canonical(v) for v in row)).encode())
    connection = Tortoise.get_connection("default")
    for table in THROUGH_TABLES:
        _, rows = await connection.execute_query(f'SELECT * FROM "{table}"')
        for pair in sorted(tuple(sorted(dict(row).items())) for row in rows):
            digest.update(repr(pair).encode())
    return digest.hexdigest()


def demo_json(value: Any) -> Any:
    """A stored value as the history records it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def demo_replay(entries: Iterable[HistoryEntry]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for entry in entries:
        for key, (old, new) in entry.changes.items():
            assert state.get(key) == old, f"entry {entry.id}: {key} was {state.get(key)!r}"
            state[key] = new
    return state


def demo_check_population(values: dict[str, Any], where: str) -> None:
    for key in COUNTS:
        assert values.get(key) is None or values[key] >= 0, f"{where}: {key} < 0"
    total = values.get("population_total")
    for key in POPULATION_PARTS:
        if total is not None and values.get(key) is not None:
            assert values[key] <= total, f"{where}: {key} > total"
    minors = values.get("population_minors")
    bands = [values.get(key) for key in AGE_BANDS]
    if minors is not None:
        assert sum(b or 0 for b in bands) <= minors, f"{where}: age bands > minors"
        school = values.get("minors_in_school")
        assert school is None or school <= minors, f"{where}: in school > minors"


def demo_check_dates(values: dict[str, Any], day: date, where: str) -> None:
    """Nothing a state records happened after the moment it was recorded."""
    dated = [key for key in PAST_DATES if values.get(key)]
    if values.get("census_status") == "done":
        dated.append("census_date")
    for key in dated:
        assert values[key] <= day.isoformat(), f"{where}: {key} {values[key]} after {day}"


async def demo_history(subject: str) -> dict[int, list[HistoryEntry]]:
    grouped: dict[int, list[HistoryEntry]] = defaultdict(list)
    entries = await HistoryEntry.filter(subject_type=subject).order_by("changed_at", "id")
    for entry in entries:
        grouped[entry.subject_id].append(entry)
    return grouped


async def demo_through(table: str) -> list[tuple[int, int]]:
    _, rows = await Tortoise.get_connection("default").execute_query(f'SELECT * FROM "{table}"')
    return [tuple(dict(row).values()) for row in rows]  # type: ignore[misc]


# --- the data set ---------------------------------------------------------------------------


async def test_counts_match_the_tables_and_the_scale(demo_seeded: DemoSeeded) -> None:
    counts = demo_seeded.counts
    assert counts["site"] == DEMO_TEST_SITES
    assert await Site.filter(status=SiteStatus.OPEN).count() == DEMO_TEST_SITES // 4
    for model in (*CHECKSUM_MODELS, PartnerApplication, SiteClosingSolution):
        table = model._meta.db_table
        assert counts[table] == await model.all().count(), table
        assert counts[table] > 0, table
    assert counts["history_entry"] >= 3 * DEMO_TEST_SITES


async def test_site_counts_respect_their_totals(demo_seeded: DemoSeeded) -> None:
    for site in await Site.all():
        demo_check_population(site.__dict__, f"site {site.id}")
        statuses = (site.water_status, site.sanitation_status, site.has_legal_procedure)
        refresh_derived(site)
        assert statuses == (site.water_status, site.sanitation_status, site.has_legal_procedure)


async def test_closed_sites_have_a_consistent_lifecycle(demo_seeded: DemoSeeded) -> None:
    stale = 0
    for site in await Site.all().prefetch_related("closing_solutions"):
        if site.status == SiteStatus.OPEN:
            assert site.closed_at is None and site.closed_with_solutions is None
            seen = max(site.updated_at, site.confirmed_unchanged_at or site.updated_at)
            stale += seen.date() < REFERENCE_DATE - OUT_OF_DATE
            continue
        assert site.closed_at is not None and site.installed_at is not None
        assert site.installed_at <= site.closed_at <= REFERENCE_DATE
        assert site.closed_with_solutions is not None
        people = [s.people or 0 for s in site.closing_solutions]
        assert site.population_total is None or sum(people) <= site.population_total
        for solution in site.closing_solutions:
            assert solution.households is None or solution.households <= (solution.people or 0)
    assert stale > 0, "some open sites must be out of date"


async def test_every_persona_exists_and_is_active(demo_seeded: DemoSeeded) -> None:
    for persona in PERSONAS:
        user = await User.get(email=persona.email).prefetch_related("organization", "areas")
        assert user.status == UserStatus.ACTIVE
        assert user.role == persona.role
        assert user.organization.name == persona.organization
        assert user.options == [option.value for option in persona.options]
        area = (persona.area_level, persona.area_code)
        if persona.own_area:
            assert [(a.level, a.code) for a in user.areas] == [area]
        else:
            org_areas = await InterventionArea.filter(organization_id=user.organization.id)
            assert area in [(a.level, a.code) for a in org_areas]
    for app in PARTNER_APPS:
        row = await PartnerApplication.get(client_id=app.client_id).prefetch_related("organization")
        assert (row.role, row.scopes, row.active) == (app.role, list(app.scopes), app.active)
        assert row.organization.name == app.organization


async def test_some_open_sites_have_no_intervention(demo_seeded: DemoSeeded) -> None:
    open_ids = set(await Site.filter(status=SiteStatus.OPEN).values_list("id", flat=True))
    with_actor = set(await SiteActor.all().values_list("site_id", flat=True))
    with_action = {site for _, site in await demo_through("action_site")}
    lonely = open_ids - with_actor - with_action
    assert lonely and len(lonely) < len(open_ids) / 2
    assert with_actor <= open_ids, "actors are declared on open sites"
    operator = next(p for p in PERSONAS if p.email.startswith("operator@"))
    organization = await Organization.get(name=operator.organization)
    acted_on = await Site.filter(actors__organization_id=organization.id).values_list(
        "departement_code", flat=True
    )
    assert acted_on and set(acted_on) == {"31"}


async def test_targeted_comments_have_targets(demo_seeded: DemoSeeded) -> None:
    targets: dict[int, int] = defaultdict(int)
    for table in ("comment_target_user", "comment_target_organization"):
        for comment_id, _ in await demo_through(table):
            targets[comment_id] += 1
    comments = await Comment.all()
    assert any(c.targeted for c in comments)
    for comment in comments:
        assert (comment.site_id is None) != (comment.action_id is None)
        assert bool(targets.get(comment.id)) == comment.targeted, comment.id


async def test_site_history_replays_to_the_stored_site(demo_seeded: DemoSeeded) -> None:
    history = await demo_history("site")
    for site in await Site.all():
        entries = history[site.id]
        assert 3 <= len(entries) <= 20 and site.version == len(entries)
        assert entries[0].operation == HistoryOperation.CREATE
        assert all(old is None for old, _ in entries[0].changes.values())
        closing = HistoryOperation.UPDATE if site.status == SiteStatus.OPEN else "close"
        assert entries[-1].operation == closing
        moments = [e.changed_at for e in entries]
        assert moments[0] == site.created_at and moments[-1] == site.updated_at
        assert all(a < b for a, b in pairwise(moments))
        assert entries[0].author_id == site.created_by_id
        assert entries[-1].author_id == site.updated_by_id
        state: dict[str, Any] = {}
        for entry in entries:
            for key, (old, new) in entry.changes.items():
                assert state.get(key) == old, f"site {site.id}, entry {entry.id}: {key}"
                state[key] = new
            demo_check_population(state, f"site {site.id} at {entry.changed_at}")
            demo_check_dates(state, entry.changed_at.date(), f"site {site.id}, entry {entry.id}")
        for key in SITE_FIELDS:
            assert state.get(key) == demo_json(getattr(site, key)), f"site {site.id}: {key}"


async def test_actions_are_consistent(demo_seeded: DemoSeeded) -> None:
    history = await demo_history("action")
    managers: dict[int, list[int]] = defaultdict(list)
    for action_id, user_id in await demo_through("action_manager"):
        managers[action_id].append(user_id)
    sites_of: dict[int, list[int]] = defaultdict(list)
    for action_id, site_id in await demo_through("action_site"):
        sites_of[action_id].append(site_id)
    actions = await Action.all().prefetch_related("departement", "indicators", "finances")
    assert any(a.ended_at and a.ended_at < REFERENCE_DATE for a in actions)
    for action in actions:
        assert action.region_code == action.departement.region_id
        assert action.overseas == action.departement.overseas
        for user in await User.filter(id__in=managers[action.id]).prefetch_related("organization"):
            assert user.organization.type in (OrganizationType.PREFECTURE, OrganizationType.DDETS)
            assert user.organization.location_code == action.departement_id
        departements = await Site.filter(id__in=sites_of[action.id]).values_list(
            "departement_code", flat=True
        )
        assert set(departements) <= {action.departement_id}
        years = sorted({f.year for f in action.finances})
        assert 1 <= len(years) <= 3
        for row in action.indicators:
            for key in ("households", "women", "minors", "health_followup", "sheltered_people"):
                assert 0 <= getattr(row, key) <= row.people
            assert row.minors_school_age <= row.minors
            assert row.employment_training <= row.people - row.minors
        state = demo_replay(history[action.id])
        assert action.version == len(history[action.id])
        for key in ACTION_FIELDS:
            assert state.get(key) == demo_json(getattr(action, key)), f"action {action.id}: {key}"


async def test_reinstalled_sites_come_from_closed_ones(demo_seeded: DemoSeeded) -> None:
    for site in await Site.all().prefetch_related("reinstalled_from"):
        origins = list(site.reinstalled_from)
        assert bool(origins) == site.is_reinstallation
        for origin in origins:
            assert origin.closed_at and origin.closed_at <= site.installed_at
            assert origin.departement_code == site.departement_code


# --- seeding again ----------------------------------------------------------------------------


async def test_seeding_twice_is_refused(demo_seeded: DemoSeeded) -> None:
    with pytest.raises(DemoDataExists):
        await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED)
    assert await demo_checksum() == demo_seeded.checksum


async def test_a_failure_leaves_the_data_untouched(
    demo_seeded: DemoSeeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("hub.demo.seed.advance_sequences", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED + 1, reset=True)
    assert await demo_checksum() == demo_seeded.checksum


async def test_a_fresh_database_gets_the_same_data(demo_seeded: DemoSeeded) -> None:
    url = await demo_seeded.databases.create("again")
    try:
        await use_database(url)
        with pytest.raises(TerritoriesMissing, match="hub load-territories"):
            await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED)
        await load_territories()
        counts = await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED)
        assert counts == demo_seeded.counts
        assert await demo_checksum() == demo_seeded.checksum
    finally:
        await use_database(demo_seeded.url)


async def test_reset_replaces_everything(demo_seeded: DemoSeeded) -> None:
    counts = await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED + 1, reset=True)
    assert counts["site"] == await Site.all().count() == DEMO_TEST_SITES
    assert await demo_checksum() != demo_seeded.checksum
    # Ids were given explicitly: the next ones the database hands out must be free.
    newest = await Organization.all().order_by("-id").first()
    assert newest is not None
    extra = await Organization.create(name="Après la démo", category="association",
                                      type="association")  # fmt: skip
    assert extra.id > newest.id
    await seed_demo(sites=DEMO_TEST_SITES, seed=DEMO_TEST_SEED, reset=True)
    assert await demo_checksum() == demo_seeded.checksum


async def test_every_backend_gets_the_same_data(demo_seeded: DemoSeeded) -> None:
    # Pinned, so that the SQLite and PostgreSQL runs (separate processes) must agree; a
    # deliberate change of the demo data set updates it.
    assert demo_seeded.checksum == PINNED_CHECKSUM
