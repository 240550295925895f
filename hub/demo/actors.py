"""Who acts on which open site, and which open sites nobody takes care of."""

from __future__ import annotations

import random
from datetime import timedelta

from hub.demo.context import Ids, Rows, days_between, office_time
from hub.demo.organizations import Organizations, OrgInfo
from hub.demo.reference import PERSONA_ASSOCIATION, PERSONA_DEPARTEMENT, REFERENCE_DATE
from hub.demo.sites import SitePlan
from hub.models import SiteActor
from hub.models.enums import ActorTheme, OrganizationType

Theme = ActorTheme
Type = OrganizationType
# Share of open sites with neither actor nor action ("sites sans intervention").
WITHOUT_INTERVENTION = 0.22
THEMES_BY_TYPE: dict[OrganizationType, tuple[ActorTheme, ...]] = {
    Type.ASSOCIATION: (
        Theme.HEALTH, Theme.EDUCATION, Theme.EMPLOYMENT, Theme.HOUSING, Theme.MEDIATION,
        Theme.HUMANITARIAN, Theme.DIAGNOSIS,
    ),
    Type.COMPANY: (Theme.DIAGNOSIS, Theme.HOUSING),
    Type.COMMUNE: (Theme.HUMANITARIAN, Theme.SAFETY, Theme.STEERING, Theme.HOUSING, Theme.OTHER),
    Type.DDETS: (Theme.STEERING, Theme.HOUSING, Theme.DIAGNOSIS),
    Type.HEALTH_AGENCY: (Theme.HEALTH,),
    Type.EDUCATION: (Theme.EDUCATION,),
    Type.POLICE: (Theme.SAFETY,),
}  # fmt: skip


def choose_intervened(rng: random.Random, plans: list[SitePlan]) -> None:
    """Mark the open sites someone takes care of; about a fifth are left alone."""
    open_plans = [p for p in plans if p.is_open]
    if not open_plans:
        return
    count = round(len(open_plans) * WITHOUT_INTERVENTION)
    if len(open_plans) >= 2:
        count = max(1, count)
    # The personas' first open site is always taken care of.
    persona_first = next((p for p in open_plans if p.departement == PERSONA_DEPARTEMENT), None)
    candidates = [p for p in open_plans if p is not persona_first]
    left_alone = {p.id for p in rng.sample(candidates, min(count, len(candidates)))}
    for plan in open_plans:
        plan.intervened = plan.id not in left_alone


def _candidates(orgs: Organizations, plan: SitePlan, region: str) -> list[tuple[OrgInfo, float]]:
    dep = plan.departement
    found: list[tuple[OrgInfo, float]] = [
        (org, 3.0) for org in orgs.operators.get(dep, []) if org.active
    ]
    commune = orgs.commune.get(plan.place.scope_code)
    for org, weight in (
        (commune, 2.0), (orgs.ddets.get(dep), 1.0), (orgs.health.get(region), 0.7),
        (orgs.education.get(dep), 0.7), (orgs.police.get(dep), 0.3),
    ):  # fmt: skip
        if org is not None:
            found.append((org, weight))
    return found


def _actor(rng: random.Random, ids: Ids, plan: SitePlan, org: OrgInfo) -> dict[str, object]:
    themes = THEMES_BY_TYPE.get(org.type, (Theme.OTHER,))
    chosen = set(rng.sample(themes, rng.randint(1, min(3, len(themes)))))
    members = org.active_members
    user = rng.choice(members) if members and rng.random() < 0.4 else None
    since = days_between(rng, plan.created_at.date(), REFERENCE_DATE - timedelta(days=1))
    return {
        "id": ids.next(SiteActor),
        "site_id": plan.id,
        "organization_id": org.id,
        "user_id": user.id if user else None,
        "themes": [t.value for t in ActorTheme if t in chosen],
        "created_at": max(office_time(rng, since), plan.created_at),
    }


def build_actors(
    rng: random.Random,
    ids: Ids,
    rows: Rows,
    orgs: Organizations,
    plans: list[SitePlan],
    regions: dict[str, str],
) -> None:
    """``regions``: département code -> région code."""
    persona_org = orgs.by_name[PERSONA_ASSOCIATION]
    persona_sites = 0
    for plan in plans:
        if not (plan.is_open and plan.intervened):
            continue
        candidates = _candidates(orgs, plan, regions[plan.departement])
        chosen: list[OrgInfo] = []
        for _ in range(rng.randint(1, 3)):
            org = rng.choices([c[0] for c in candidates], [c[1] for c in candidates])[0]
            if org not in chosen:
                chosen.append(org)
        # The operator personas' association acts on half the open sites of its département.
        if (
            plan.departement == PERSONA_DEPARTEMENT
            and persona_org not in chosen
            and (persona_sites == 0 or rng.random() < 0.5)
        ):
            chosen.append(persona_org)
        persona_sites += persona_org in chosen
        for org in chosen:
            rows.add_values(SiteActor, **_actor(rng, ids, plan, org))
