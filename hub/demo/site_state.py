"""A site's recorded fields as a JSON-ready dict, generated group by group.

The history of a site is built by stepping back from its final state: each earlier state
changes a few groups, and every group is consistent on its own (sub-counts never exceed
totals, a police assistance is never granted before a decision...), so every past state a
reader reconstructs from the history is a plausible one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from hub.demo.context import Json, days_between, iso
from hub.demo.names import ACCESS_DETAILS, BAILIFFS, CENSUS_BY, COURT
from hub.models.enums import (
    CensusStatus,
    ElectricityType,
    FieldType,
    OwnerType,
    PoliceAssistanceStatus,
    SiteStatus,
    ToiletType,
    TriState,
    WaterAccessType,
)

State = dict[str, Json]
YES, NO, UNKNOWN = TriState.YES.value, TriState.NO.value, TriState.UNKNOWN.value

IDENTITY = (
    "name", "address", "access_details", "latitude", "longitude", "commune_id", "field_type",
    "declared_at", "installed_at", "is_reinstallation",
)  # fmt: skip
POPULATION = (
    "population_total", "population_households", "population_women", "population_minors",
    "minors_0_3", "minors_3_6", "minors_6_12", "minors_12_16", "minors_16_18",
    "minors_in_school", "population_counted_at",
)  # fmt: skip
BANDS = POPULATION[4:9]
DWELLINGS = ("caravans", "huts", "tents", "cars", "mattresses")
ORIGINS = ("origin_french", "origin_eu", "origin_non_eu")
CENSUS = ("census_status", "census_date", "census_by")
WATER = (
    "water_access", "water_access_types", "water_on_site", "water_within_200m",
    "water_continuous", "water_stagnant",
)  # fmt: skip
SANITATION = (
    "sanitation_open_defecation", "sanitation_working_toilets", "sanitation_toilet_types",
    "sanitation_lit_and_lockable", "sanitation_hand_washing",
)  # fmt: skip
ELECTRICITY = ("electricity_access", "electricity_types")
WASTE = ("waste_piling", "waste_collection_nearby", "waste_collection_regular")
LEGAL = (
    "owner_complaint", "justice_procedure", "justice_decision", "justice_decision_date",
    "justice_court", "police_assistance", "police_requested_at", "police_granted_at", "bailiff",
    "administrative_order", "administrative_order_date", "insalubrity_order",
    "insalubrity_order_date",
)  # fmt: skip
LIFECYCLE = ("status", "closed_at", "closed_with_solutions", "closing_context")
OTHERS = ("pests", "fire_prevention_diagnosis", "owner_type", "resorption_target_year")
# Every field the history records, in a fixed order.
TRACKED: tuple[str, ...] = (
    IDENTITY + POPULATION + DWELLINGS + ORIGINS + CENSUS + WATER + SANITATION + ELECTRICITY
    + WASTE + LEGAL + LIFECYCLE + OTHERS
)  # fmt: skip
FIELD_ORDER = {key: index for index, key in enumerate(TRACKED)}
DATE_FIELDS = frozenset(
    {
        "declared_at", "installed_at", "population_counted_at", "census_date",
        "justice_decision_date", "police_requested_at", "police_granted_at",
        "administrative_order_date", "insalubrity_order_date", "closed_at",
    }
)  # fmt: skip
BAND_WEIGHTS = (0.2, 0.2, 0.3, 0.2, 0.1)
WATER_TYPES = tuple(t.value for t in WaterAccessType)
WATER_TYPE_WEIGHTS = (4, 3, 2, 2, 3, 1)
TOILET_TYPES = tuple(t.value for t in ToiletType)
ELECTRICITY_TYPES = tuple(t.value for t in ElectricityType)


@dataclass(frozen=True)
class SiteProfile:
    """What does not change in a site's life, and drives how its fields are drawn."""

    field_type: FieldType
    # Typical number of residents.
    size: int
    # 0 (dreadful) to 1 (decent) living conditions.
    quality: float
    overseas: bool
    installed: date
    court_city: str
    departement_of: str
    city: str


def tri(rng: random.Random, yes: float, no: float) -> str:
    draw = rng.random()
    if draw < yes:
        return YES
    return NO if draw < yes + no else UNKNOWN


def pick_some(rng: random.Random, values: tuple[str, ...], low: int, high: int) -> list[str]:
    # Kept in the enumeration's order so that equal sets compare equal.
    chosen = set(rng.sample(values, rng.randint(low, high)))
    return [v for v in values if v in chosen]


def maybe(rng: random.Random, missing: float, value: int) -> int | None:
    return None if rng.random() < missing else value


def draw_size(rng: random.Random) -> int:
    return max(3, min(600, round(math.exp(rng.gauss(3.2, 0.9)))))


def split_in_bands(rng: random.Random, known: int) -> list[int]:
    """``known`` children spread over the five age bands, with some randomness."""
    shares = [weight * rng.uniform(0.6, 1.4) for weight in BAND_WEIGHTS]
    total_share = sum(shares)
    counts = [int(known * share / total_share) for share in shares]
    counts[rng.randrange(5)] += known - sum(counts)
    return counts


# --- groups -------------------------------------------------------------------------------


def population(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    if rng.random() < 0.03:
        return dict.fromkeys(POPULATION)
    total = max(2, round(p.size * rng.uniform(0.75, 1.25)))
    minors = maybe(rng, 0.1, min(total, round(total * rng.uniform(0.2, 0.45))))
    bands: list[int | None] = [None] * 5
    if minors is not None and rng.random() < 0.65:
        # Ages are not always known for every child: the bands may add up to less.
        known = minors - (rng.randint(0, minors // 4) if rng.random() < 0.25 else 0)
        bands = list(split_in_bands(rng, known))
    in_school = None
    if minors is not None and rng.random() < 0.7:
        school_age = (bands[2] or 0) + (bands[3] or 0) if bands[0] is not None else minors // 2
        in_school = min(minors, round(school_age * rng.uniform(0.1, 0.95)))
    counted = days_between(rng, max(p.installed, when - timedelta(days=90)), when)
    values: State = {
        "population_total": total,
        "population_households": maybe(
            rng, 0.1, min(total, max(1, round(total / rng.uniform(2.8, 4.5))))
        ),
        "population_women": maybe(rng, 0.15, round(total * rng.uniform(0.38, 0.52))),
        "population_minors": minors,
        "minors_in_school": in_school,
        "population_counted_at": iso(counted),
    }
    values.update(zip(BANDS, bands, strict=True))
    return values


def dwellings(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    total = state.get("population_total") or p.size
    assert isinstance(total, int)
    households = max(1, round(total / 3.5))
    if p.field_type == FieldType.BUILDING:
        values = {
            "caravans": 0, "huts": 0, "tents": rng.randint(0, 2), "cars": 0,
            "mattresses": round(total * rng.uniform(0.5, 1.0)),
        }  # fmt: skip
    else:
        values = {
            "caravans": round(households * rng.uniform(0, 0.6)),
            "huts": round(households * rng.uniform(0.3, 1.1)),
            "tents": rng.randint(0, 4),
            "cars": round(households * rng.uniform(0, 0.5)),
            "mattresses": rng.randint(0, total // 5),
        }
    return {key: maybe(rng, 0.1, value) for key, value in values.items()}


def origins(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    # Overseas bidonvilles are mostly home to non-EU nationals and French citizens.
    chances = (0.45, 0.02, 0.9) if p.overseas else (0.2, 0.8, 0.3)
    return {key: rng.random() < chance for key, chance in zip(ORIGINS, chances, strict=True)}


def census(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    draw = rng.random()
    by = rng.choice(CENSUS_BY).format(of=p.departement_of, city=p.city, stem="Passerelles")
    if draw < 0.45:
        return {"census_status": CensusStatus.NONE.value, "census_date": None, "census_by": None}
    if draw < 0.6:
        planned = when + timedelta(days=rng.randint(7, 120))
        return {"census_status": CensusStatus.SCHEDULED.value, "census_date": iso(planned),
                "census_by": by if rng.random() < 0.7 else None}  # fmt: skip
    done = days_between(rng, max(p.installed, when - timedelta(days=700)), when)
    return {"census_status": CensusStatus.DONE.value, "census_date": iso(done), "census_by": by}


def water(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    q = p.quality
    if rng.random() < 0.12:
        return {**dict.fromkeys(WATER, UNKNOWN), "water_access_types": []}
    if rng.random() >= 0.35 + 0.55 * q:
        return {
            "water_access": NO, "water_access_types": [], "water_on_site": NO,
            "water_within_200m": tri(rng, 0, 0.7), "water_continuous": UNKNOWN,
            "water_stagnant": tri(rng, 0.5, 0.3),
        }  # fmt: skip
    chosen = set(rng.choices(WATER_TYPES, WATER_TYPE_WEIGHTS, k=rng.randint(1, 2)))
    types = [t for t in WATER_TYPES if t in chosen]
    on_site = YES if {"network_tap", "tank"} & chosen else tri(rng, 0.1, 0.8)
    return {
        "water_access": YES,
        "water_access_types": types,
        "water_on_site": on_site,
        "water_within_200m": YES if on_site == YES else tri(rng, 0.5, 0.4),
        "water_continuous": tri(rng, 0.2 + 0.6 * q, 0.3),
        "water_stagnant": tri(rng, 0.5 - 0.4 * q, 0.4),
    }


def sanitation(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    q = p.quality
    if rng.random() < 0.12:
        return {**dict.fromkeys(SANITATION, UNKNOWN), "sanitation_toilet_types": []}
    toilets = YES if rng.random() < 0.15 + 0.65 * q else NO
    has_toilets = toilets == YES
    return {
        "sanitation_open_defecation": YES
        if not has_toilets and rng.random() < 0.7
        else tri(rng, 0.15, 0.6),
        "sanitation_working_toilets": toilets,
        "sanitation_toilet_types": pick_some(rng, TOILET_TYPES, 1, 2) if has_toilets else [],
        "sanitation_lit_and_lockable": tri(rng, 0.7 * q, 0.3) if has_toilets else UNKNOWN,
        "sanitation_hand_washing": tri(rng, 0.2 + 0.5 * q, 0.4),
    }


def electricity(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    if rng.random() < 0.1:
        return {"electricity_access": UNKNOWN, "electricity_types": []}
    if rng.random() >= 0.3 + 0.6 * p.quality:
        return {"electricity_access": NO, "electricity_types": []}
    offered = ELECTRICITY_TYPES if p.field_type == FieldType.BUILDING else ELECTRICITY_TYPES[:2]
    return {"electricity_access": YES, "electricity_types": pick_some(rng, offered, 1, 2)}


def waste(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    q = p.quality
    return {
        "waste_piling": tri(rng, 0.7 - 0.5 * q, 0.25),
        "waste_collection_nearby": tri(rng, 0.3 + 0.5 * q, 0.3),
        "waste_collection_regular": tri(rng, 0.2 + 0.5 * q, 0.35),
    }


def pests(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    return {"pests": tri(rng, 0.6 - 0.4 * p.quality, 0.25)}


def fire(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    return {"fire_prevention_diagnosis": tri(rng, 0.15 + 0.4 * p.quality, 0.5)}


def legal(
    rng: random.Random, p: SiteProfile, when: date, justice: bool = False, order: bool = False
) -> State:
    """Legal procedures known at ``when``; ``justice``/``order``: the site was closed by one."""
    stage = 0
    if justice:
        stage = rng.choice((3, 4, 5, 5))
    elif rng.random() < 0.38:
        stage = rng.choices((1, 2, 3, 4, 5), (3, 3, 2, 1, 1))[0]
    neutral = NO if rng.random() < 0.5 else UNKNOWN
    # Dates go backwards from the last step taken, never before the installation.
    last = days_between(rng, max(p.installed, when - timedelta(days=200)), when)
    granted = last
    requested = max(p.installed, granted - timedelta(days=rng.randint(10, 90)))
    if stage == 4:
        requested = last
    decision = max(p.installed, requested - timedelta(days=rng.randint(15, 120)))
    if stage == 3:
        decision = last
    police = {5: PoliceAssistanceStatus.GRANTED, 4: PoliceAssistanceStatus.REQUESTED}
    values: State = {
        "owner_complaint": YES if stage >= 1 else neutral,
        "justice_procedure": YES if stage >= 2 else neutral,
        "justice_decision": YES if stage >= 3 else neutral,
        "justice_decision_date": iso(decision) if stage >= 3 else None,
        "justice_court": COURT.format(city=p.court_city) if stage >= 2 else None,
        "police_assistance": police.get(stage, PoliceAssistanceStatus.NONE).value,
        "police_requested_at": iso(requested) if stage >= 4 else None,
        "police_granted_at": iso(granted) if stage >= 5 else None,
        "bailiff": rng.choice(BAILIFFS) if stage >= 3 and rng.random() < 0.7 else None,
    }
    for key in ("administrative_order", "insalubrity_order"):
        chance = 0.08 if key == "administrative_order" else 0.05
        if (order and key == "administrative_order") or rng.random() < chance:
            dated = days_between(rng, max(p.installed, when - timedelta(days=150)), when)
            values[key], values[f"{key}_date"] = YES, iso(dated)
        else:
            values[key], values[f"{key}_date"] = neutral, None
    return values


def legal_group(rng: random.Random, p: SiteProfile, when: date, state: State) -> State:
    return legal(rng, p, when)


Generator = Callable[[random.Random, SiteProfile, date, State], State]
# Groups a later update may have changed, with how often each is the one updated.
REDRAWN: tuple[tuple[Generator, float], ...] = (
    (population, 4), (dwellings, 2), (origins, 0.5), (water, 1), (sanitation, 1),
    (electricity, 1), (waste, 1), (pests, 0.5), (fire, 0.5),
)  # fmt: skip


def final_state(
    rng: random.Random, p: SiteProfile, when: date, identity: State, status: SiteStatus
) -> State:
    """Every tracked field of a site as known at ``when`` (its closing date if closed)."""
    state: State = dict(identity)
    for generator, _ in REDRAWN:
        state.update(generator(rng, p, when, state))
    state.update(census(rng, p, when, state))
    state.update(
        legal(
            rng, p, when,
            justice=status == SiteStatus.CLOSED_BY_JUSTICE,
            order=status == SiteStatus.CLOSED_BY_ADMINISTRATION,
        )
    )  # fmt: skip
    state["pests"], state["fire_prevention_diagnosis"] = (
        pests(rng, p, when, state)["pests"],
        fire(rng, p, when, state)["fire_prevention_diagnosis"],
    )
    state["owner_type"] = rng.choices(
        (OwnerType.PUBLIC.value, OwnerType.PRIVATE.value, OwnerType.UNKNOWN.value), (5, 3, 2)
    )[0]
    state.update(dict.fromkeys(LIFECYCLE))
    state["status"] = SiteStatus.OPEN.value
    state["resorption_target_year"] = None
    return state


# --- stepping back ------------------------------------------------------------------------


def _justice_stage(s: State) -> int:
    if s["police_assistance"] == PoliceAssistanceStatus.GRANTED.value:
        return 5
    if s["police_assistance"] == PoliceAssistanceStatus.REQUESTED.value:
        return 4
    for stage, key in ((3, "justice_decision"), (2, "justice_procedure"), (1, "owner_complaint")):
        if s[key] == YES:
            return stage
    return 0


def _undo_justice_step(s: State) -> None:
    stage = _justice_stage(s)
    if stage == 5:
        s["police_assistance"] = PoliceAssistanceStatus.REQUESTED.value
        s["police_granted_at"] = None
    elif stage == 4:
        s["police_assistance"] = PoliceAssistanceStatus.NONE.value
        s["police_requested_at"] = None
    elif stage == 3:
        s["justice_decision"], s["justice_decision_date"], s["bailiff"] = UNKNOWN, None, None
    elif stage == 2:
        s["justice_procedure"], s["justice_court"] = UNKNOWN, None
    elif stage == 1:
        s["owner_complaint"] = UNKNOWN


def _undo_order(s: State, key: str) -> None:
    s[key], s[f"{key}_date"] = UNKNOWN, None


def _after(value: Json, day: str) -> bool:
    return isinstance(value, str) and value > day


def step_back_legal(rng: random.Random, s: State, when: date, randomly: bool) -> None:
    """Undo one legal step at random (if ``randomly``), then every step dated after ``when``."""
    if randomly:
        undo: list[Callable[[], None]] = []
        if _justice_stage(s):
            undo.append(lambda: _undo_justice_step(s))
        for key in ("administrative_order", "insalubrity_order"):
            if s[key] == YES:
                undo.append(lambda key=key: _undo_order(s, key))
        if undo:
            rng.choice(undo)()
    day = when.isoformat()
    while any(
        _after(s[key], day)
        for key in ("police_granted_at", "police_requested_at", "justice_decision_date")
    ):
        _undo_justice_step(s)
    for key in ("administrative_order", "insalubrity_order"):
        if _after(s[f"{key}_date"], day):
            _undo_order(s, key)


def step_back_census(s: State, when: date, randomly: bool) -> None:
    done = s["census_status"] == CensusStatus.DONE.value
    if done and (randomly or _after(s["census_date"], when.isoformat())):
        # Before being done, it was scheduled for that day.
        s["census_status"] = CensusStatus.SCHEDULED.value
    elif randomly and s["census_status"] == CensusStatus.SCHEDULED.value:
        s["census_status"], s["census_date"], s["census_by"] = CensusStatus.NONE.value, None, None


def toggle_access_details(rng: random.Random, s: State) -> None:
    s["access_details"] = None if s["access_details"] else rng.choice(ACCESS_DETAILS)


def _kind_weights(s: State) -> list[float]:
    has_legal = bool(_justice_stage(s)) or YES in (
        s["administrative_order"],
        s["insalubrity_order"],
    )
    return [
        8,
        1.5 if has_legal else 0,
        1 if s["census_status"] != CensusStatus.NONE.value else 0,
        0.5 if s["owner_type"] != OwnerType.UNKNOWN.value else 0,
        1,
        0.5 if s["resorption_target_year"] else 0,
    ]


STEP_KINDS = ("redraw", "legal", "census", "owner", "identity", "resorption")
REDRAW_CUMULATIVE = list(accumulate(weight for _, weight in REDRAWN))


def step_back(
    rng: random.Random, p: SiteProfile, later: State, when: date
) -> tuple[State, list[str]]:
    """A plausible state at ``when`` that ``later`` updated, and the fields that differ
    (in TRACKED order): a few groups changed in between."""
    s = dict(later)
    touched: set[str] = {"access_details"}
    chosen = set(rng.choices(STEP_KINDS, _kind_weights(s), k=rng.randint(1, 3)))
    if "redraw" in chosen:
        picks = rng.choices(REDRAWN, cum_weights=REDRAW_CUMULATIVE, k=rng.randint(1, 2))
        for generator, _ in dict.fromkeys(picks):
            values = generator(rng, p, when, s)
            s.update(values)
            touched.update(values)
    step_back_legal(rng, s, when, "legal" in chosen)
    step_back_census(s, when, "census" in chosen)
    touched.update(LEGAL, CENSUS)
    if "owner" in chosen:
        s["owner_type"] = OwnerType.UNKNOWN.value
        touched.add("owner_type")
    if "resorption" in chosen:
        s["resorption_target_year"] = None
        touched.add("resorption_target_year")
    if _after(s["population_counted_at"], when.isoformat()):
        s.update(population(rng, p, when, s))
        touched.update(POPULATION)
    if "identity" in chosen:
        toggle_access_details(rng, s)
    changed = sorted((k for k in touched if s[k] != later[k]), key=FIELD_ORDER.__getitem__)
    if not changed:
        toggle_access_details(rng, s)
        changed = ["access_details"]
    return s, changed


def reopened(closed: State) -> tuple[State, list[str]]:
    """The state just before the closing entry, and the fields the closing changed."""
    before = {**closed, **dict.fromkeys(LIFECYCLE), "status": SiteStatus.OPEN.value}
    return before, [key for key in LIFECYCLE if before[key] != closed[key]]
