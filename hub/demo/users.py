"""Users of every role and status, the fixed personas, and the partner applications."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from itertools import accumulate

from hub.demo.context import Ids, Rows, Scale, at, days_between, office_time
from hub.demo.geography import Geography
from hub.demo.names import FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, ORG_JOB_TITLES
from hub.demo.organizations import Organizations, OrgInfo, UserInfo, slug
from hub.demo.reference import (
    DEMO_OIDC_ISSUER,
    PARTNER_APPS,
    PERSONAS,
    REFERENCE_DATE,
    Persona,
)
from hub.models import InterventionArea, PartnerApplication, User, UserIdentity
from hub.models.enums import LocationLevel, OrganizationType, Role, UserOption, UserStatus

Type = OrganizationType

# How many members each kind of organization has, relative to the others.
MEMBER_WEIGHTS: dict[OrganizationType, float] = {
    Type.PREFECTURE: 3, Type.DDETS: 3, Type.POLICE: 1, Type.EDUCATION: 1.2,
    Type.HEALTH_AGENCY: 1.5, Type.COMMUNE: 1.2, Type.EPCI: 0.8, Type.DEPARTEMENT: 1.2,
    Type.REGION: 0.5, Type.ASSOCIATION: 3, Type.MINISTRY: 2.5, Type.NATIONAL_AGENCY: 2,
    Type.NATIONAL_DELEGATION: 8, Type.RESEARCH: 3, Type.COMPANY: 1.5,
}  # fmt: skip
# Options a role may be granted, with the chance of each.
OPTION_CHANCES: dict[Role, tuple[tuple[UserOption, float], ...]] = {
    Role.OPERATOR: (
        (UserOption.LEGAL_ACCESS, 0.08), (UserOption.CREATE_SITES, 0.1),
        (UserOption.CLOSE_SITES, 0.05),
    ),
    Role.INSTITUTIONAL_PARTNER: ((UserOption.LEGAL_ACCESS, 0.06), (UserOption.CLOSE_SITES, 0.05)),
    Role.INTERVENER: ((UserOption.LEGAL_ACCESS, 0.05),),
    Role.NATIONAL_ACTOR: ((UserOption.FINANCE_ACCESS, 0.25),),
}  # fmt: skip
STATE_ROLES = frozenset({Role.CORRESPONDENT, Role.LOCAL_ADMIN})
FIELD_ROLES = frozenset({Role.OPERATOR, Role.INTERVENER})


@dataclass
class DepartementPeople:
    # Correspondents and local admins of the préfecture and the DDETS.
    state: list[UserInfo] = field(default_factory=list)
    # Institutional partners based in the département.
    local: list[UserInfo] = field(default_factory=list)
    # Operators and interveners of the organizations intervening there.
    field_workers: list[UserInfo] = field(default_factory=list)

    # Cached: read only once every user is sorted into its groups.
    @cached_property
    def writers(self) -> list[UserInfo]:
        return self.state + self.local + self.field_workers

    @cached_property
    def active_state(self) -> list[UserInfo]:
        return [u for u in self.state if u.active]

    @cached_property
    def active_field_workers(self) -> list[UserInfo]:
        return [u for u in self.field_workers if u.active]


@dataclass
class People:
    all: list[UserInfo]
    by_departement: dict[str, DepartementPeople]
    national_admins: list[UserInfo]
    personas: dict[str, UserInfo]

    def of(self, departement: str) -> DepartementPeople:
        return self.by_departement.get(departement) or DepartementPeople()


def default_role(rng: random.Random, kind: OrganizationType) -> Role:
    if kind in (Type.PREFECTURE, Type.DDETS):
        return Role.LOCAL_ADMIN if rng.random() < 0.1 else Role.CORRESPONDENT
    if kind in (Type.ASSOCIATION, Type.COMPANY):
        return Role.INTERVENER if rng.random() < 0.35 else Role.OPERATOR
    return {
        Type.MINISTRY: Role.NATIONAL_ACTOR,
        Type.NATIONAL_AGENCY: Role.NATIONAL_ACTOR,
        Type.NATIONAL_DELEGATION: Role.NATIONAL_ADMIN,
        Type.RESEARCH: Role.EXTERNAL_OBSERVER,
    }.get(kind, Role.INSTITUTIONAL_PARTNER)


def _status(rng: random.Random, org: OrgInfo) -> UserStatus:
    if not org.active:
        return UserStatus.INACTIVE
    draw = rng.random()
    if draw < 0.07:
        return UserStatus.PENDING
    if draw < 0.14:
        return UserStatus.INACTIVE
    return UserStatus.ACTIVE


def _options(rng: random.Random, role: Role) -> list[str]:
    return [
        option.value for option, chance in OPTION_CHANCES.get(role, ()) if rng.random() < chance
    ]


@dataclass
class UserFactory:
    rng: random.Random
    ids: Ids
    rows: Rows
    geo: Geography
    people: list[UserInfo] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)

    def email(self, first: str, last: str, org: OrgInfo) -> str:
        base = f"{slug(first)}.{slug(last)}".replace("-", "")
        candidate, n = f"{base}@{org.domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}@{org.domain}"
        return candidate

    def create(
        self,
        org: OrgInfo,
        role: Role,
        status: UserStatus,
        first: str | None = None,
        last: str | None = None,
        email: str | None = None,
        options: list[str] | None = None,
    ) -> UserInfo:
        rng = self.rng
        female = first in FEMALE_FIRST_NAMES if first else rng.random() < 0.55
        first = first or rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
        last = last or rng.choice(LAST_NAMES)
        email = email or self.email(first, last, org)
        self.emails.add(email)
        joined = days_between(rng, org.model.created_at.date(), REFERENCE_DATE - timedelta(days=2))
        model_id = self.ids.next(User)
        model = User(
            id=model_id,
            organization_id=org.id,
            first_name=first,
            last_name=last,
            email=email,
            phone=f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
            if rng.random() < 0.7
            else None,
            job_title=rng.choice(ORG_JOB_TITLES[org.type.value])[1 if female else 0],
            role=role,
            status=status,
            options=options if options is not None else _options(rng, role),
            created_at=office_time(rng, joined),
            # Active accounts were used in the month before the reference date, so that the
            # unused-account reminders do not all start with the demo. Derived from the id,
            # not drawn: the other draws of the demo stay as they were.
            last_seen_at=(
                at(REFERENCE_DATE - timedelta(days=model_id % 30), 9, 0, 0)
                if status is UserStatus.ACTIVE
                else None
            ),
        )
        self.rows.add(model)
        info = UserInfo(model, org)
        org.members.append(info)
        self.people.append(info)
        return info

    def own_area(self, user: UserInfo, level: LocationLevel, code: str | None) -> None:
        self.rows.add_values(
            InterventionArea,
            id=self.ids.next(InterventionArea),
            organization_id=None,
            user_id=user.id,
            level=level,
            code=code,
        )


def _personas(factory: UserFactory, orgs: Organizations) -> dict[str, UserInfo]:
    created: dict[str, UserInfo] = {}
    for persona in PERSONAS:
        org = orgs.by_name[persona.organization]
        user = factory.create(
            org, persona.role, UserStatus.ACTIVE, persona.first_name, persona.last_name,
            persona.email, [option.value for option in persona.options],
        )  # fmt: skip
        if persona.own_area:
            factory.own_area(user, persona.area_level, persona.area_code)
        factory.rows.add(
            UserIdentity(
                id=factory.ids.next(UserIdentity),
                user_id=user.id,
                issuer=DEMO_OIDC_ISSUER,
                subject=persona_subject(persona),
                linked_at=user.model.created_at,
            )
        )
        created[persona.email] = user
    return created


def persona_subject(persona: Persona) -> str:
    """The OIDC ``sub`` of a persona at the demo issuer."""
    return "demo|" + persona.email.split("@", 1)[0]


def _field_area(factory: UserFactory, user: UserInfo) -> None:
    # Some field workers cover only one commune of their organization's territory.
    if user.role in FIELD_ROLES and user.org.area_departements and factory.rng.random() < 0.2:
        dep = factory.rng.choice(user.org.area_departements)
        if dep in factory.geo.communes:
            commune = factory.geo.pick_commune(factory.rng, dep)
            factory.own_area(user, LocationLevel.COMMUNE, commune.code)


def build_users(
    rng: random.Random, ids: Ids, rows: Rows, geo: Geography, scale: Scale, orgs: Organizations
) -> People:
    factory = UserFactory(rng, ids, rows, geo)
    personas = _personas(factory, orgs)
    # Every préfecture, DDETS and association has at least one active member: actions need
    # managers and operators everywhere.
    for org in orgs.all:
        if org.type in (Type.PREFECTURE, Type.DDETS, Type.ASSOCIATION, Type.COMPANY):
            role = (
                Role.CORRESPONDENT if org.type in (Type.PREFECTURE, Type.DDETS) else Role.OPERATOR
            )
            status = UserStatus.ACTIVE if org.active else UserStatus.INACTIVE
            factory.create(org, role, status)
    cumulative = list(accumulate(MEMBER_WEIGHTS[org.type] for org in orgs.all))
    for _ in range(scale.of(1200, 0) - len(factory.people)):
        org = rng.choices(orgs.all, cum_weights=cumulative)[0]
        user = factory.create(org, default_role(rng, org.type), _status(rng, org))
        _field_area(factory, user)
    _partner_applications(ids, rows, orgs)
    return _people(factory.people, orgs, personas)


def _partner_applications(ids: Ids, rows: Rows, orgs: Organizations) -> None:
    for app in PARTNER_APPS:
        org = orgs.by_name[app.organization]
        rows.add(
            PartnerApplication(
                id=ids.next(PartnerApplication),
                client_id=app.client_id,
                name=app.name,
                organization_id=org.id,
                role=app.role,
                scopes=list(app.scopes),
                active=app.active,
                created_at=org.model.created_at + timedelta(days=30),
            )
        )


def _people(users: list[UserInfo], orgs: Organizations, personas: dict[str, UserInfo]) -> People:
    by_departement: dict[str, DepartementPeople] = defaultdict(DepartementPeople)
    for user in users:
        if not user.has_worked:
            continue
        org = user.org
        if user.role in STATE_ROLES and org.type in (Type.PREFECTURE, Type.DDETS):
            by_departement[org.departement or ""].state.append(user)
        elif user.role == Role.INSTITUTIONAL_PARTNER and org.departement:
            by_departement[org.departement].local.append(user)
        elif user.role in FIELD_ROLES:
            for dep in org.area_departements:
                by_departement[dep].field_workers.append(user)
    national_admins = [u for u in users if u.role == Role.NATIONAL_ADMIN and u.active]
    return People(users, dict(by_departement), national_admins, personas)
