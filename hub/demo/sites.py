"""Sites: where they are, their life from declaration to closing, and their history."""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub.demo.context import (
    Ids,
    Json,
    Rows,
    Scale,
    apportion,
    at,
    days_between,
    iso,
    moments_between,
    office_time,
)
from hub.demo.geography import Geography, Place
from hub.demo.history import Changes, creation, history_entries, update
from hub.demo.names import (
    ACCESS_DETAILS,
    BUILDING_NAME_PATTERNS,
    BUILDING_PLACES,
    CLOSING_CONTEXTS,
    LAND_NAME_PATTERNS,
    LAND_PLACES,
    PRIVATE_OWNERS,
    PUBLIC_OWNERS,
    STREETS,
    UNKNOWN_NAME_PATTERNS,
)
from hub.demo.organizations import UserInfo
from hub.demo.reference import (
    ACTIVE_BY_CODE,
    ACTIVE_DEPARTEMENTS,
    PERSONA_DEPARTEMENT,
    PLATFORM_START,
    REFERENCE_DATE,
)
from hub.demo.site_state import (
    DATE_FIELDS,
    TRACKED,
    SiteProfile,
    State,
    draw_size,
    final_state,
    reopened,
    step_back,
)
from hub.demo.users import People
from hub.models import ParcelOwner, Site, SiteClosingSolution, SiteResorptionPhase
from hub.models.derived import place_in_commune, refresh_derived
from hub.models.enums import (
    ClosedWithSolutions,
    ClosingSolution,
    FieldType,
    HistoryOperation,
    HistorySubject,
    OwnerType,
    ResorptionPhase,
    SiteStatus,
)
from hub.models.territories import Commune

Status = SiteStatus
CLOSED_STATUSES = (
    (Status.RESORBED, 30), (Status.CLOSED_BY_JUSTICE, 30), (Status.CLOSED_BY_ADMINISTRATION, 20),
    (Status.CLOSED_OTHER, 15), (Status.UNKNOWN, 5),
)  # fmt: skip
# Chances of yes / no for closed-with-solutions, per closing status (the rest is unknown).
SOLUTION_ODDS = {
    Status.RESORBED: (0.85, 0.05), Status.CLOSED_BY_JUSTICE: (0.4, 0.4),
    Status.CLOSED_BY_ADMINISTRATION: (0.4, 0.35), Status.CLOSED_OTHER: (0.1, 0.4),
    Status.UNKNOWN: (0, 0),
}  # fmt: skip
REAL_SOLUTIONS = tuple(s for s in ClosingSolution if s != ClosingSolution.NO_SOLUTION)
OUT_OF_DATE_DAYS = 190
# Who writes each kind of history entry: préfecture/DDETS, local partners, field workers.
AUTHOR_WEIGHTS = {"create": (5, 3, 2), "update": (4, 2, 4), "close": (8, 2, 0)}


@dataclass
class SitePlan:
    """One site while it is being built: its model, and what later builders need."""

    model: Site
    place: Place
    profile: SiteProfile
    is_open: bool
    created_at: datetime
    updated_at: datetime
    closed_at: date | None
    origins: list[int] = field(default_factory=list)
    # Open sites only: whether any actor or action takes care of it.
    intervened: bool = False

    @property
    def id(self) -> int:
        return self.model.id

    @property
    def departement(self) -> str:
        return self.place.departement


# --- where -------------------------------------------------------------------------------


def place_sites(rng: random.Random, geo: Geography, scale: Scale) -> list[Place]:
    """The commune of each site, spread over the active départements by weight."""
    counts = apportion(scale.sites, [d.weight for d in ACTIVE_DEPARTEMENTS])
    persona = [d.code for d in ACTIVE_DEPARTEMENTS].index(PERSONA_DEPARTEMENT)
    # The personas work in Haute-Garonne: it always has sites, even in a tiny data set.
    while counts[persona] < min(3, scale.sites):
        donor = max(range(len(counts)), key=lambda i: (counts[i], -i) if i != persona else (-1, 0))
        counts[donor] -= 1
        counts[persona] += 1
    places = [
        geo.pick_commune(rng, dep.code)
        for dep, count in zip(ACTIVE_DEPARTEMENTS, counts, strict=True)
        for _ in range(count)
    ]
    rng.shuffle(places)
    return places


def choose_open(rng: random.Random, places: list[Place], scale: Scale) -> list[bool]:
    chosen = set(rng.sample(range(len(places)), scale.open_sites))
    in_persona = [i for i, p in enumerate(places) if p.departement == PERSONA_DEPARTEMENT]
    # Two open sites in the personas' département, so they always have something to act on.
    for i in in_persona[:2]:
        if i not in chosen and len(chosen) < len(places):
            outside = sorted(chosen - set(in_persona))
            if outside:
                chosen.discard(outside[0])
            chosen.add(i)
    return [i in chosen for i in range(len(places))]


# --- identity ----------------------------------------------------------------------------


def _de(place: str) -> str:
    if place.startswith("le "):
        return "du " + place[3:]
    if place.startswith("les "):
        return "des " + place[4:]
    return "de " + place


def identity(rng: random.Random, place: Place, field_type: FieldType) -> State:
    street = rng.choice(STREETS)
    patterns = {
        FieldType.LAND: LAND_NAME_PATTERNS,
        FieldType.BUILDING: BUILDING_NAME_PATTERNS,
        FieldType.UNKNOWN: UNKNOWN_NAME_PATTERNS,
    }[field_type]
    places = BUILDING_PLACES if field_type == FieldType.BUILDING else LAND_PLACES
    pattern = rng.choice(patterns).replace("de {place}", "{de_place}")
    name = pattern.format(street=street, de_place=_de(rng.choice(places)))
    number = f"{rng.randint(1, 180)} " if rng.random() < 0.4 else ""
    return {
        "name": name,
        "address": f"{number}{street}, {place.name}",
        "access_details": rng.choice(ACCESS_DETAILS) if rng.random() < 0.6 else None,
        "latitude": None,
        "longitude": None,
        "commune_id": place.code,
        "field_type": field_type.value,
    }


# --- when --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    installed: date
    declared: date
    created_at: datetime
    updated_at: datetime
    closed_at: date | None
    confirmed_at: datetime | None


def _created(rng: random.Random, declared: date, latest: date) -> date:
    # Sites older than the platform were imported during its first year.
    imported = PLATFORM_START + timedelta(days=rng.randint(0, 365))
    return min(max(declared + timedelta(days=rng.randint(0, 20)), imported), latest)


def open_timeline(rng: random.Random) -> Timeline:
    ref = REFERENCE_DATE
    age = min(4500, int(rng.expovariate(1 / 900))) + 20
    installed = ref - timedelta(days=age)
    declared = min(installed + timedelta(days=rng.randint(0, 90)), ref - timedelta(days=2))
    created_day = _created(rng, declared, ref - timedelta(days=2))
    created_at = office_time(rng, created_day)
    stale_limit = ref - timedelta(days=OUT_OF_DATE_DAYS)
    earliest = created_day + timedelta(days=1)
    draw = rng.random()
    confirmed = None
    if draw < 0.45 and earliest <= stale_limit:
        # Out of date (stale), or (one in three) confirmed unchanged recently.
        updated_day = days_between(rng, earliest, stale_limit)
        if rng.random() < 0.33:
            confirmed = office_time(rng, days_between(rng, ref - timedelta(days=150), ref))
            confirmed = min(confirmed, at(ref - timedelta(days=1), 17))
    else:
        updated_day = days_between(rng, max(earliest, ref - timedelta(days=175)), ref)
    updated_day = min(updated_day, ref - timedelta(days=1))
    updated_at = max(office_time(rng, updated_day), created_at + timedelta(hours=2))
    return Timeline(installed, declared, created_at, updated_at, None, confirmed)


def closed_timeline(rng: random.Random) -> Timeline:
    ref = REFERENCE_DATE
    closed = days_between(rng, date(2019, 3, 1), ref - timedelta(days=3))
    installed = closed - timedelta(days=min(4000, int(rng.expovariate(1 / 600)) + 10))
    declared = min(installed + timedelta(days=rng.randint(0, 60)), closed)
    created_day = _created(rng, declared, closed)
    created_at = office_time(rng, created_day)
    updated_day = min(closed + timedelta(days=rng.randint(0, 20)), ref - timedelta(days=1))
    updated_at = max(office_time(rng, updated_day), created_at + timedelta(hours=2))
    return Timeline(installed, declared, created_at, updated_at, closed, None)


# --- building ----------------------------------------------------------------------------


@dataclass
class SiteBuilder:
    rng: random.Random
    ids: Ids
    rows: Rows
    geo: Geography
    people: People
    communes: dict[str, Commune] = field(default_factory=dict)
    authors: dict[tuple[str, str], list[tuple[list[UserInfo], float]]] = field(default_factory=dict)

    def profile(self, place: Place, timeline: Timeline) -> SiteProfile:
        rng = self.rng
        active = ACTIVE_BY_CODE[place.departement]
        seat = self.geo.by_code.get(active.seat) or self.geo.communes[place.departement][0]
        field_type = rng.choices(list(FieldType), (70, 22, 8))[0]
        return SiteProfile(
            field_type=field_type,
            size=draw_size(rng),
            quality=rng.betavariate(2, 2.5),
            overseas=place.overseas,
            installed=timeline.installed,
            court_city=seat.name,
            departement_of=active.of,
            city=place.name,
        )

    def author(self, departement: str, kind: str) -> UserInfo:
        """Someone of a plausible organization of the département, for one kind of entry."""
        key = (departement, kind)
        if key not in self.authors:
            group = self.people.of(departement)
            pools = [group.state, group.local, group.field_workers]
            weighted = [
                (pool, weight) for pool, weight in zip(pools, AUTHOR_WEIGHTS[kind], strict=True)
                if pool and weight
            ]  # fmt: skip
            self.authors[key] = weighted or [(self.people.national_admins, 1)]
        weighted = self.authors[key]
        pool = weighted[0][0] if len(weighted) == 1 else self.rng.choices(
            [w[0] for w in weighted], [w[1] for w in weighted]
        )[0]  # fmt: skip
        return self.rng.choice(pool)

    def build(
        self, place: Place, is_open: bool, timeline: Timeline, origins: list[int]
    ) -> SitePlan:
        rng = self.rng
        profile = self.profile(place, timeline)
        status = Status.OPEN if is_open else rng.choices(*zip(*CLOSED_STATUSES, strict=True))[0]
        ident = identity(rng, place, profile.field_type)
        # The point depends on the site's id alone (hub.demo.placement), not on this generator.
        ident["latitude"], ident["longitude"] = self.geo.point_in(
            place.code, self.ids.upcoming(Site)
        )
        ident.update(
            declared_at=iso(timeline.declared),
            installed_at=iso(timeline.installed),
            is_reinstallation=bool(origins),
        )
        moments = self.moments(timeline)
        # A closed site is known as it was at the entry before the closing one.
        final = final_state(rng, profile, moments[-1 if is_open else -2].date(), ident, status)
        if is_open and rng.random() < 0.3:
            final["resorption_target_year"] = rng.randint(REFERENCE_DATE.year, 2029)
        if not is_open:
            self.close(final, status, timeline)
        changes = self.past_states(profile, final, moments, is_open)
        model = self.model(place, final, timeline, len(changes))
        plan = SitePlan(
            model, place, profile, is_open, timeline.created_at, timeline.updated_at,
            timeline.closed_at, origins,
        )  # fmt: skip
        self.history(plan, changes, moments)
        self.secondary_rows(plan, final)
        return plan

    def close(self, final: State, status: SiteStatus, timeline: Timeline) -> None:
        rng = self.rng
        yes, no = SOLUTION_ODDS[status]
        draw = rng.random()
        solutions = (
            ClosedWithSolutions.YES
            if draw < yes
            else ClosedWithSolutions.NO
            if draw < yes + no
            else ClosedWithSolutions.UNKNOWN
        )
        final.update(
            status=status.value,
            closed_at=iso(timeline.closed_at),
            closed_with_solutions=solutions.value,
            closing_context=rng.choice(CLOSING_CONTEXTS[status.value])
            if rng.random() < 0.8
            else None,
        )
        if status == Status.RESORBED and rng.random() < 0.4 and timeline.closed_at:
            final["resorption_target_year"] = timeline.closed_at.year

    def moments(self, timeline: Timeline) -> list[datetime]:
        """When the history entries were written: 3 to 20, from creation to last update;
        a site followed for years has been updated more often than one closed in a month."""
        followed_days = (timeline.updated_at - timeline.created_at).days
        count = 3 + int(self.rng.random() * (1 + min(17, followed_days / 15)))
        inner = moments_between(self.rng, timeline.created_at, timeline.updated_at, count - 2)
        return [timeline.created_at, *inner, timeline.updated_at]

    def past_states(
        self, profile: SiteProfile, final: State, moments: list[datetime], is_open: bool
    ) -> list[Changes]:
        """The history's change sets, the creation first, stepping back from ``final``."""
        rng = self.rng
        count = len(moments)
        later = final
        changes: list[Changes] = []
        for index in range(count - 2, -1, -1):
            if not is_open and index == count - 2:
                earlier, changed = reopened(later)
            else:
                earlier, changed = step_back(rng, profile, later, moments[index].date())
            changes.append(update(earlier, later, changed))
            later = earlier
        changes.append(creation(later, TRACKED))
        changes.reverse()
        return changes

    def model(self, place: Place, final: State, timeline: Timeline, version: int) -> Site:
        values: dict[str, object] = {
            key: date.fromisoformat(value) if key in DATE_FIELDS and isinstance(value, str)
            else value
            for key, value in final.items()
        }  # fmt: skip
        del values["commune_id"]
        # construct(): no per-field validation, the values are already the right types.
        site = Site.construct(
            id=self.ids.next(Site),
            version=version,
            created_at=timeline.created_at,
            updated_at=timeline.updated_at,
            confirmed_unchanged_at=timeline.confirmed_at,
            **values,
        )
        commune = self.communes.get(place.code) or Commune(
            code=place.code, name=place.name, departement_id=place.departement,
            region_id=place.region, epci_id=place.epci, scope_code=place.scope_code,
        )  # fmt: skip
        self.communes[place.code] = commune
        place_in_commune(site, commune, place.epci, place.overseas)
        refresh_derived(site)
        return site

    def history(self, plan: SitePlan, changes: list[Changes], moments: list[datetime]) -> None:
        authors: list[int] = []
        last = len(changes) - 1
        for index in range(len(changes)):
            kind = (
                "create"
                if index == 0
                else "close"
                if index == last and not plan.is_open
                else "update"
            )
            authors.append(self.author(plan.departement, kind).id)
        operations = [HistoryOperation.CREATE] + [HistoryOperation.UPDATE] * last
        if not plan.is_open:
            operations[-1] = HistoryOperation.CLOSE
        history_entries(
            self.ids, self.rows, HistorySubject.SITE, plan.id, changes, moments, operations,
            authors,
        )  # fmt: skip
        plan.model.created_by_id = authors[0]
        plan.model.updated_by_id = authors[-1]

    def secondary_rows(self, plan: SitePlan, final: State) -> None:
        self.parcel_owners(plan, final)
        if not plan.is_open:
            self.closing_solutions(plan, final)
        self.phases(plan, final)

    def parcel_owners(self, plan: SitePlan, final: State) -> None:
        rng = self.rng
        owner_type = final["owner_type"]
        if owner_type == OwnerType.UNKNOWN.value or rng.random() < 0.2:
            return
        names = PUBLIC_OWNERS if owner_type == OwnerType.PUBLIC.value else PRIVATE_OWNERS
        section = "".join(rng.choices("ABCDEHKLMNOPRSTVWXYZ", k=2))
        for _ in range(rng.randint(1, 3)):
            self.rows.add_values(
                ParcelOwner,
                id=self.ids.next(ParcelOwner),
                site_id=plan.id,
                parcel=f"{section} {rng.randint(1, 999)}",
                owner_type=OwnerType(owner_type),
                owner_name=rng.choice(names).format(commune=plan.place.name)
                if rng.random() < 0.9
                else None,
            )

    def closing_solutions(self, plan: SitePlan, final: State) -> None:
        rng = self.rng
        total = final["population_total"]
        households = final["population_households"]
        verdict = final["closed_with_solutions"]
        if verdict == ClosedWithSolutions.UNKNOWN.value:
            return
        if verdict == ClosedWithSolutions.YES.value:
            kinds = rng.sample(REAL_SOLUTIONS, rng.randint(1, 3))
            if rng.random() < 0.3:
                kinds.append(ClosingSolution.NO_SOLUTION)
        else:
            kinds = [ClosingSolution.NO_SOLUTION]
        people_left = _int(total)
        households_left = _int(households)
        for kind in sorted(kinds, key=list(ClosingSolution).index):
            people = None
            if people_left is not None:
                people = rng.randint(0, max(0, math.ceil(people_left * 0.7)))
                people_left -= people
            served = None
            if people is not None and households_left is not None:
                served = min(households_left, people, max(0, round(people / 3.5)))
                households_left -= served
            self.rows.add_values(
                SiteClosingSolution,
                id=self.ids.next(SiteClosingSolution),
                site_id=plan.id,
                solution=kind,
                people=people,
                households=served,
            )

    def phases(self, plan: SitePlan, final: State) -> None:
        rng = self.rng
        resorbed = final["status"] == Status.RESORBED.value
        if not (resorbed and rng.random() < 0.5) and not (plan.is_open and rng.random() < 0.2):
            return
        end = plan.closed_at or REFERENCE_DATE
        start = max(plan.created_at.date(), end - timedelta(days=700))
        moment = days_between(rng, start, end)
        for phase in list(ResorptionPhase)[: rng.randint(1, 4)]:
            started = moment
            completed = None
            if resorbed or rng.random() < 0.6:
                completed = min(end, started + timedelta(days=rng.randint(15, 120)))
                moment = completed
            self.rows.add_values(
                SiteResorptionPhase,
                id=self.ids.next(SiteResorptionPhase),
                site_id=plan.id,
                phase=phase,
                started_at=started,
                completed_at=completed,
            )
            if completed is None:
                break


def _int(value: Json) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reinstallations(
    rng: random.Random, places: list[Place], timelines: list[Timeline]
) -> list[list[int]]:
    """For some sites, the sites (1-based ids) their residents came from: sites of the same
    département closed in the four months before they settled."""
    closed: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for index, timeline in enumerate(timelines):
        if timeline.closed_at:
            closed[places[index].departement].append((timeline.closed_at, index))
    for entries in closed.values():
        entries.sort()
    origins: list[list[int]] = []
    for index, timeline in enumerate(timelines):
        found: list[int] = []
        if rng.random() < 0.1:
            entries = closed[places[index].departement]
            low = bisect_left(entries, (timeline.installed - timedelta(days=120), -1))
            high = bisect_right(entries, (timeline.installed, len(timelines)))
            candidates = [other for _, other in entries[low:high] if other != index]
            if candidates:
                picked = rng.sample(candidates, min(len(candidates), rng.randint(1, 2)))
                found = sorted(other + 1 for other in picked)
        origins.append(found)
    return origins


def build_sites(
    rng: random.Random,
    ids: Ids,
    rows: Rows,
    geo: Geography,
    people: People,
    places: list[Place],
    open_flags: list[bool],
) -> list[SitePlan]:
    timelines = [open_timeline(rng) if flag else closed_timeline(rng) for flag in open_flags]
    origins = _reinstallations(rng, places, timelines)
    builder = SiteBuilder(rng, ids, rows, geo, people)
    plans = [
        builder.build(place, flag, timeline, found)
        for place, flag, timeline, found in zip(places, open_flags, timelines, origins, strict=True)
    ]
    # Read once tortoise is initialised: foreign key columns are added then.
    columns = tuple(Site._meta.fields_db_projection)
    for plan in plans:
        rows.add_values(Site, **{name: getattr(plan.model, name) for name in columns})
        for origin in plan.origins:
            # site_rel_id is the site the relation belongs to, site_id where residents came from.
            rows.link("site_reinstallation", plan.id, origin)
    return plans
