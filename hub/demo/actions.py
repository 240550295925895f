"""Social actions: topics, managers, operators, sites, yearly finances and indicators."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hub.demo.context import (
    Ids,
    Rows,
    Scale,
    apportion,
    at,
    days_between,
    iso,
    moments_between,
    office_time,
)
from hub.demo.geography import Geography
from hub.demo.history import State, creation, history_entries, update
from hub.demo.names import ACTION_GOALS, ACTION_NAMES, ACTION_PLACES, FINANCE_COMMENTS, STREETS
from hub.demo.organizations import Organizations, OrgInfo, UserInfo
from hub.demo.reference import (
    ACTIVE_BY_CODE,
    ACTIVE_DEPARTEMENTS,
    PERSONA_DEPARTEMENT,
    PERSONAS,
    REFERENCE_DATE,
)
from hub.demo.sites import SitePlan
from hub.demo.users import FIELD_ROLES, People
from hub.models import Action, ActionFinance, ActionIndicators, ActionTopicLink
from hub.models.enums import (
    ActionLocationKind,
    ActionTopic,
    FinanceType,
    HistoryOperation,
    HistorySubject,
    Role,
)

Kind = ActionLocationKind
TRACKED = ("name", "goals", "started_at", "ended_at", "location_kind", "location_details")
TOPIC_WEIGHTS = (3, 3, 2, 3, 2)  # health, schooling, employment, housing, site_safety
KIND_WEIGHTS = ((Kind.ON_SITE, 55), (Kind.TEMPORARY_INTEGRATION_SPACE, 15), (Kind.HOUSING, 15),
                (Kind.OTHER, 15))  # fmt: skip
FINANCE_WEIGHTS = ((FinanceType.DEDICATED_RESORPTION_CREDIT, 6), (FinanceType.STATE, 4),
                   (FinanceType.LOCAL_AUTHORITY, 3), (FinanceType.EUROPEAN, 2),
                   (FinanceType.PRIVATE, 1), (FinanceType.OTHER, 1))  # fmt: skip
FIRST_START = date(2019, 1, 15)


@dataclass
class ActionPlan:
    model: Action
    departement: str
    managers: list[UserInfo]
    operators: list[UserInfo]
    site_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.model.id

    @property
    def current(self) -> bool:
        ended = self.model.ended_at
        return ended is None or ended >= REFERENCE_DATE

    def members(self) -> list[UserInfo]:
        return self.managers + self.operators


@dataclass
class ActionBuilder:
    rng: random.Random
    ids: Ids
    rows: Rows
    geo: Geography
    orgs: Organizations
    people: People
    open_by_departement: dict[str, list[SitePlan]]
    closed_by_departement: dict[str, list[SitePlan]]
    running: dict[str, list[OrgInfo]] = field(default_factory=dict)

    def dates(self, force_current: bool) -> tuple[date, date | None]:
        rng = self.rng
        started = days_between(rng, FIRST_START, REFERENCE_DATE - timedelta(days=30))
        draw = 1.0 if force_current else rng.random()
        if draw < 0.35:
            ended = started + timedelta(days=rng.randint(180, 1100))
            if ended < REFERENCE_DATE:
                return started, ended
        if draw < 0.45:
            # Still running, with a planned end.
            return started, REFERENCE_DATE + timedelta(days=rng.randint(30, 400))
        return started, None

    def sites_for(
        self, dep: str, kind: ActionLocationKind, started: date, ended: date | None
    ) -> list[SitePlan]:
        if kind != Kind.ON_SITE:
            return []
        rng = self.rng
        running = ended is None or ended >= REFERENCE_DATE
        # Current actions work on open sites someone takes care of; ended ones mostly on sites
        # closed since they started. Sites without intervention never get an action.
        open_ones = [p for p in self.open_by_departement.get(dep, []) if p.intervened]
        closed_ones = [
            p
            for p in self.closed_by_departement.get(dep, [])
            if p.closed_at
            and started <= p.closed_at
            and p.created_at.date() <= (ended or p.closed_at)
        ]
        pool = open_ones if running or not closed_ones else closed_ones
        if not pool:
            return []
        return sorted(rng.sample(pool, min(len(pool), rng.randint(1, 4))), key=lambda p: p.id)

    def managers(self, dep: str) -> list[UserInfo]:
        state = self.people.of(dep).active_state
        if not state:
            return self.people.national_admins[:1]
        return self.rng.sample(state, min(len(state), self.rng.randint(1, 2)))

    def operators(self, dep: str) -> list[UserInfo]:
        rng = self.rng
        if dep not in self.running:
            self.running[dep] = self.running_organizations(dep)
        running = self.running[dep]
        if not running:
            return []
        chosen: list[UserInfo] = []
        for org in rng.sample(running, min(len(running), 1 if rng.random() < 0.7 else 2)):
            staff = [m for m in org.active_members if m.role in FIELD_ROLES]
            chosen.extend(rng.sample(staff, min(len(staff), rng.randint(1, 2))))
        return chosen

    def running_organizations(self, dep: str) -> list[OrgInfo]:
        """Active organizations of the département with active field workers."""
        return [
            org
            for org in self.orgs.operators.get(dep, [])
            if org.active and any(m.role in FIELD_ROLES for m in org.active_members)
        ]

    def name(self, topic: ActionTopic, dep: str, sites: list[SitePlan]) -> str:
        rng = self.rng
        active = ACTIVE_BY_CODE[dep]
        place = sites[0].place.name if sites else self.geo.pick_commune(rng, dep).name
        site = sites[0].model.name if sites else place
        return rng.choice(ACTION_NAMES[topic.value]).format(place=place, site=site, of=active.of)

    def location_details(self, kind: ActionLocationKind, dep: str) -> str | None:
        if kind == Kind.ON_SITE:
            return None
        rng = self.rng
        city = self.geo.pick_commune(rng, dep).name
        return rng.choice(ACTION_PLACES[kind.value]).format(street=rng.choice(STREETS), city=city)

    def build(self, dep: str, persona: bool) -> ActionPlan:
        rng = self.rng
        started, ended = self.dates(force_current=persona)
        kind = Kind.ON_SITE if persona else rng.choices(*zip(*KIND_WEIGHTS, strict=True))[0]
        sites = self.sites_for(dep, kind, started, ended)
        if kind == Kind.ON_SITE and not sites:
            kind = Kind.OTHER
        topics = sorted(
            set(rng.choices(list(ActionTopic), TOPIC_WEIGHTS, k=rng.randint(1, 3))),
            key=list(ActionTopic).index,
        )
        final: State = {
            "name": self.name(topics[0], dep, sites)[:200],
            "goals": " ".join(ACTION_GOALS[t.value] for t in topics),
            "started_at": iso(started),
            "ended_at": iso(ended),
            "location_kind": kind.value,
            "location_details": self.location_details(kind, dep),
        }
        managers, operators = self.managers(dep), self.operators(dep)
        if persona:
            managers, operators = self.with_personas(managers, operators)
        created_at = office_time(
            rng, max(FIRST_START, started - timedelta(days=rng.randint(0, 30)))
        )
        states, moments = self.past_states(final, created_at, ended)
        authors = [rng.choice(managers + operators).id for _ in states]
        model = Action(
            id=self.ids.next(Action),
            version=len(states),
            name=final["name"],
            goals=final["goals"],
            departement_id=dep,
            region_code=self.geo.region_of(dep),
            overseas=self.geo.departements[dep].overseas,
            started_at=started,
            ended_at=ended,
            location_kind=kind,
            location_details=final["location_details"],
            created_at=created_at,
            created_by_id=authors[0],
            updated_at=moments[-1],
            updated_by_id=authors[-1],
        )
        self.rows.add(model)
        operations = [HistoryOperation.CREATE] + [HistoryOperation.UPDATE] * (len(states) - 1)
        changes = [creation(states[0], TRACKED)] + [
            update(before, after, TRACKED) for before, after in pairwise(states)
        ]
        history_entries(
            self.ids, self.rows, HistorySubject.ACTION, model.id, changes, moments, operations,
            authors,
        )  # fmt: skip
        plan = ActionPlan(model, dep, managers, operators, [s.id for s in sites])
        self.links(plan, topics)
        self.yearly_figures(plan, sites)
        return plan

    def with_personas(
        self, managers: list[UserInfo], operators: list[UserInfo]
    ) -> tuple[list[UserInfo], list[UserInfo]]:
        by_email = self.people.personas
        manager = by_email[_persona_email(Role.CORRESPONDENT)]
        field_workers = [
            by_email[_persona_email(Role.OPERATOR)],
            by_email[_persona_email(Role.INTERVENER)],
        ]
        return (
            [manager, *[m for m in managers if m is not manager]],
            [*field_workers, *[o for o in operators if o not in field_workers]],
        )

    def past_states(
        self, final: State, created_at: datetime, ended: date | None
    ) -> tuple[list[State], list[datetime]]:
        rng = self.rng
        past_end = ended is not None and ended < REFERENCE_DATE
        updates = rng.randint(1, 3) if past_end else rng.randint(0, 3)
        if updates == 0:
            return [final], [created_at]
        latest = REFERENCE_DATE - timedelta(days=1)
        if past_end and ended:
            last_day = min(latest, ended + timedelta(days=rng.randint(0, 30)))
        else:
            last_day = days_between(rng, created_at.date(), latest)
        updated_at = max(office_time(rng, last_day), created_at + timedelta(hours=2))
        updated_at = min(updated_at, at(REFERENCE_DATE - timedelta(days=1), 18))
        moments = [
            created_at,
            *moments_between(rng, created_at, updated_at, updates - 1),
            updated_at,
        ]
        states = [final]
        for moment in reversed(moments[:-1]):
            states.insert(0, self.step_back(states[0], moment.date()))
        return states, moments

    def step_back(self, later: State, when: date) -> State:
        rng = self.rng
        state = dict(later)
        ended = state["ended_at"]
        if isinstance(ended, str) and (ended > when.isoformat() or rng.random() < 0.3):
            # The end was recorded once it happened (or, for a planned end, later on).
            state["ended_at"] = None
        draw = rng.random()
        if draw < 0.4:
            goals = str(state["goals"])
            state["goals"] = goals.split(". ")[0].rstrip(".") + "." if ". " in goals else None
        elif draw < 0.6 and state["location_kind"] != Kind.ON_SITE.value:
            state["location_details"] = None
        if state == later:
            state["name"] = f"Projet : {later['name']}"[:200]
        return state

    def links(self, plan: ActionPlan, topics: list[ActionTopic]) -> None:
        for topic in topics:
            self.rows.add_values(
                ActionTopicLink, id=self.ids.next(ActionTopicLink), action_id=plan.id, topic=topic
            )
        for user in plan.managers:
            self.rows.link("action_manager", plan.id, user.id)
        for user in plan.operators:
            self.rows.link("action_operator", plan.id, user.id)
        for site_id in plan.site_ids:
            self.rows.link("action_site", plan.id, site_id)

    def years(self, plan: ActionPlan) -> list[int]:
        first = plan.model.started_at.year
        ended = plan.model.ended_at
        last = min(ended.year if ended else REFERENCE_DATE.year, REFERENCE_DATE.year)
        return list(range(max(first, last - 2), last + 1))

    def yearly_figures(self, plan: ActionPlan, sites: list[SitePlan]) -> None:
        reach = sum(s.model.population_total or 20 for s in sites) or self.rng.randint(15, 250)
        for year in self.years(plan):
            self.finances(plan, year)
            self.indicators(plan, year, reach)

    def finances(self, plan: ActionPlan, year: int) -> None:
        rng = self.rng
        types = set(rng.choices(*zip(*FINANCE_WEIGHTS, strict=True), k=rng.randint(1, 3)))
        for finance_type in (t for t in FinanceType if t in types):
            planned = Decimal(rng.randint(50, 2500) * 100)
            spent: Decimal | None = None
            if year < REFERENCE_DATE.year:
                spent = (planned * Decimal(rng.randint(60, 100)) / 100).quantize(Decimal("0.01"))
            elif rng.random() < 0.7:
                spent = (planned * Decimal(rng.randint(20, 90)) / 100).quantize(Decimal("0.01"))
            self.rows.add_values(
                ActionFinance,
                id=self.ids.next(ActionFinance),
                action_id=plan.id,
                year=year,
                finance_type=finance_type,
                planned_amount=planned,
                spent_amount=spent,
                comment=rng.choice(FINANCE_COMMENTS[finance_type.value])
                if rng.random() < 0.5
                else None,
            )

    def indicators(self, plan: ActionPlan, year: int, reach: int) -> None:
        rng = self.rng
        people = max(1, round(reach * rng.uniform(0.3, 1.0)))
        households = max(1, min(people, round(people / rng.uniform(2.8, 4.5))))
        women = round(people * rng.uniform(0.35, 0.52))
        minors = round(people * rng.uniform(0.2, 0.45))
        adults = people - minors
        employment = round(adults * rng.uniform(0, 0.4))
        sheltered = round(people * rng.uniform(0, 0.3))
        housed = round((people - sheltered) * rng.uniform(0, 0.3))
        school_age = round(minors * rng.uniform(0.5, 0.8))
        enrolled = _split(rng, round(minors * rng.uniform(0.2, 0.8)), 4)
        self.rows.add_values(
            ActionIndicators,
            id=self.ids.next(ActionIndicators),
            action_id=plan.id,
            year=year,
            people=people,
            households=households,
            women=women,
            minors=minors,
            health_followup=round(people * rng.uniform(0, 0.6)),
            employment_training=employment,
            employment_training_women=min(women, round(employment * rng.uniform(0.2, 0.6))),
            sheltered_people=sheltered,
            sheltered_households=min(households, round(sheltered / 3.5)),
            housed_people=housed,
            housed_households=min(households, round(housed / 3.5)),
            minors_school_age=school_age,
            minors_in_mediation=round(school_age * rng.uniform(0, 0.7)),
            enrolled_nursery=enrolled[0],
            enrolled_primary=enrolled[1],
            enrolled_middle=enrolled[2],
            enrolled_high=enrolled[3],
        )


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def _persona_email(role: Role) -> str:
    return next(p.email for p in PERSONAS if p.role == role)


def build_actions(
    rng: random.Random,
    ids: Ids,
    rows: Rows,
    geo: Geography,
    orgs: Organizations,
    people: People,
    plans: list[SitePlan],
    scale: Scale,
) -> list[ActionPlan]:
    open_by: dict[str, list[SitePlan]] = {}
    closed_by: dict[str, list[SitePlan]] = {}
    for plan in plans:
        (open_by if plan.is_open else closed_by).setdefault(plan.departement, []).append(plan)
    builder = ActionBuilder(rng, ids, rows, geo, orgs, people, open_by, closed_by)
    site_counts = Counter(p.departement for p in plans)
    codes = [d.code for d in ACTIVE_DEPARTEMENTS]
    counts = apportion(scale.of(300, 6), [site_counts[c] for c in codes])
    counts[codes.index(PERSONA_DEPARTEMENT)] = max(1, counts[codes.index(PERSONA_DEPARTEMENT)])
    actions: list[ActionPlan] = []
    for dep, count in zip(codes, counts, strict=True):
        for index in range(count):
            actions.append(builder.build(dep, persona=dep == PERSONA_DEPARTEMENT and index == 0))
    return actions
