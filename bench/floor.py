"""The floor: the data of each canonical query fetched with plain SQL and serialized to the same
JSON as the hub's, so that the ratio compares equal work."""

from __future__ import annotations

import datetime
from typing import Any

from bench.sql import (
    Sql,
    as_bool,
    decimal_text,
    enum_name,
    global_id,
    group,
    iso_date,
    iso_datetime,
    json_dict,
    json_list,
    user_name,
)
from hub.settings import Settings

_OPEN_SITES = (
    "SELECT s.id, s.name, s.latitude, s.longitude, s.population_total, s.updated_at,"
    " c.code AS commune_code, c.name AS commune_name"
    " FROM site s JOIN commune c ON c.code = s.commune_id"
)


async def _open_site_count(sql: Sql) -> int:
    total = await sql.rows(f"SELECT COUNT(*) AS n FROM site WHERE status = {sql.mark()}", ("open",))
    return int(total[0]["n"])


def _map_node(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": global_id("Site", row["id"]),
        "name": row["name"],
        "location": {"latitude": row["latitude"], "longitude": row["longitude"]},
        "population": {"total": row["population_total"]},
        "commune": {"code": row["commune_code"], "name": row["commune_name"]},
    }


async def floor_map(sql: Sql, first: int) -> dict[str, Any]:
    total = await _open_site_count(sql)
    rows = await sql.rows(
        f"{_OPEN_SITES} WHERE s.status = {sql.mark()}"
        f" ORDER BY s.updated_at DESC, s.id DESC LIMIT {first:d}",
        ("open",),
    )
    return {"data": {"sites": {"totalCount": total, "nodes": [_map_node(r) for r in rows]}}}


async def floor_map_pages(sql: Sql, first: int) -> dict[str, Any]:
    """Every open site, page after page as a client walks them: each page is counted as the
    MAP query's, and starts after the last row of the one before (keyset); one row more than
    a page says whether another follows, as ``hasNextPage`` does."""
    nodes: list[dict[str, Any]] = []
    after: tuple[Any, int] | None = None
    while True:
        total = await _open_site_count(sql)
        keyset = "" if after is None else f" AND (s.updated_at, s.id) < ({sql.marks(2, 2)})"
        rows = await sql.rows(
            f"{_OPEN_SITES} WHERE s.status = {sql.mark()}{keyset}"
            f" ORDER BY s.updated_at DESC, s.id DESC LIMIT {first + 1:d}",
            ("open", *(after or ())),
        )
        nodes += [_map_node(row) for row in rows[:first]]
        if len(rows) <= first:
            return {"data": {"sites": {"totalCount": total, "nodes": nodes}}}
        last = rows[first - 1]
        after = (last["updated_at"], last["id"])


async def floor_list(sql: Sql, first: int) -> dict[str, Any]:
    sites = await sql.rows(
        "SELECT s.id, s.name, s.status, s.population_total, s.population_minors,"
        " c.name AS commune_name, d.name AS departement_name"
        " FROM site s JOIN commune c ON c.code = s.commune_id"
        " JOIN departement d ON d.code = c.departement_id"
        f" ORDER BY s.updated_at DESC, s.id DESC LIMIT {first:d}"
    )
    site_ids = [row["id"] for row in sites]
    actors = await sql.in_list(
        "SELECT a.site_id, a.themes, o.name FROM site_actor a"
        " JOIN organization o ON o.id = a.organization_id"
        " WHERE a.site_id IN ({ids}) ORDER BY a.created_at, a.id",
        site_ids,
    )
    links = await sql.in_list(
        "SELECT x.site_id, a.id, a.name FROM action_site x JOIN action a ON a.id = x.action_id"
        " WHERE x.site_id IN ({ids}) ORDER BY a.started_at DESC, a.id DESC",
        site_ids,
    )
    action_ids = sorted({row["id"] for row in links})
    topics = await sql.in_list(
        "SELECT action_id, topic FROM action_topic WHERE action_id IN ({ids}) ORDER BY topic",
        action_ids,
    )
    operators = await sql.in_list(
        'SELECT x.action_id, o.name FROM action_operator x JOIN "user" u ON u.id = x.user_id'
        " JOIN organization o ON o.id = u.organization_id"
        " WHERE x.action_id IN ({ids}) ORDER BY u.id",
        action_ids,
    )
    actors_of = group(actors, "site_id")
    actions_of = group(links, "site_id")
    topics_of = group(topics, "action_id")
    operators_of = group(operators, "action_id")

    def action(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": row["name"],
            "topics": [enum_name(t["topic"]) for t in topics_of[row["id"]]],
            "operators": [{"organization": {"name": o["name"]}} for o in operators_of[row["id"]]],
        }

    nodes = [
        {
            "id": global_id("Site", site["id"]),
            "name": site["name"],
            "status": enum_name(site["status"]),
            "population": {"total": site["population_total"], "minors": site["population_minors"]},
            "commune": {
                "name": site["commune_name"],
                "departement": {"name": site["departement_name"]},
            },
            "actors": [
                {
                    "themes": [enum_name(t) for t in json_list(a["themes"])],
                    "organization": {"name": a["name"]},
                }
                for a in actors_of[site["id"]]
            ],
            "actions": [action(link) for link in actions_of[site["id"]]],
        }
        for site in sites
    ]
    return {"data": {"sites": {"nodes": nodes}}}


_SITE_SHEET_SQL = """
SELECT s.*,
  c.name AS commune_name,
  e.code AS epci_code_, e.name AS epci_name,
  d.code AS dep_code, d.name AS dep_name,
  r.code AS region_code_, r.name AS region_name,
  cb.id AS created_by_id_, cb.first_name AS created_by_first_name,
  cb.last_name AS created_by_last_name,
  ub.id AS updated_by_id_, ub.first_name AS updated_by_first_name,
  ub.last_name AS updated_by_last_name
FROM site s
JOIN commune c ON c.code = s.commune_id
LEFT JOIN epci e ON e.code = s.epci_code
JOIN departement d ON d.code = s.departement_code
JOIN region r ON r.code = s.region_code
LEFT JOIN "user" cb ON cb.id = s.created_by_id
LEFT JOIN "user" ub ON ub.id = s.updated_by_id
WHERE s.id = {mark}
"""


async def floor_sheet(
    sql: Sql, site_id: int, children: int, today: datetime.date | None = None
) -> dict[str, Any]:
    one = (site_id,)
    mark = sql.mark()
    found = await sql.rows(_SITE_SHEET_SQL.format(mark=mark), one)
    if not found:
        return {"data": {"site": None}}
    s = found[0]
    origins = await sql.rows(
        "SELECT o.id, o.name FROM site_reinstallation x JOIN site o ON o.id = x.site_id"
        f" WHERE x.site_rel_id = {mark} ORDER BY o.id",
        one,
    )
    parcels = await sql.rows(
        "SELECT parcel, owner_type, owner_name FROM site_parcel_owner"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    solutions = await sql.rows(
        "SELECT solution, people, households FROM site_closing_solution"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    phases = await sql.rows(
        "SELECT phase, started_at, completed_at FROM site_resorption_phase"
        f" WHERE site_id = {mark} ORDER BY id",
        one,
    )
    actors = await sql.rows(
        "SELECT a.themes, a.created_at, o.name AS organization_name, u.id AS user_id,"
        " u.first_name AS user_first_name, u.last_name AS user_last_name"
        " FROM site_actor a JOIN organization o ON o.id = a.organization_id"
        ' LEFT JOIN "user" u ON u.id = a.user_id'
        f" WHERE a.site_id = {mark} ORDER BY a.created_at, a.id",
        one,
    )
    actions = await _sheet_actions(sql, site_id)
    journal = await _sheet_journal(sql, site_id, children)
    history = await _sheet_history(sql, site_id, children)
    return {
        "data": {
            "site": {
                **_sheet_site(s, today or datetime.datetime.now(datetime.UTC).date()),
                "reinstalledFrom": [
                    {"id": global_id("Site", o["id"]), "name": o["name"]} for o in origins
                ],
                "ownership": {
                    "ownerType": enum_name(s["owner_type"]),
                    "parcels": [
                        {
                            "parcel": p["parcel"],
                            "ownerType": enum_name(p["owner_type"]),
                            "ownerName": p["owner_name"],
                        }
                        for p in parcels
                    ],
                },
                "lifecycle": {
                    "status": enum_name(s["status"]),
                    "closedAt": iso_date(s["closed_at"]),
                    "closedWithSolutions": enum_name(s["closed_with_solutions"]),
                    "closingContext": s["closing_context"],
                    "solutions": [
                        {
                            "solution": enum_name(x["solution"]),
                            "people": x["people"],
                            "households": x["households"],
                        }
                        for x in solutions
                    ],
                },
                "resorption": {
                    "targetYear": s["resorption_target_year"],
                    "phases": [
                        {
                            "phase": enum_name(p["phase"]),
                            "startedAt": iso_date(p["started_at"]),
                            "completedAt": iso_date(p["completed_at"]),
                        }
                        for p in phases
                    ],
                },
                "actors": [
                    {
                        "themes": [enum_name(t) for t in json_list(a["themes"])],
                        "createdAt": iso_datetime(a["created_at"]),
                        "organization": {"name": a["organization_name"]},
                        "user": user_name(a, "user"),
                    }
                    for a in actors
                ],
                "actions": actions,
                "journal": journal,
                "history": history,
            }
        }
    }


def _sheet_site(s: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """The field groups that are views over the site row itself."""
    tri = enum_name
    latest = max(
        datetime.datetime.fromisoformat(v)
        for v in (iso_datetime(s["updated_at"]), iso_datetime(s["confirmed_unchanged_at"]))
        if v
    )
    return {
        "id": global_id("Site", s["id"]),
        "version": s["version"],
        "name": s["name"],
        "fieldType": enum_name(s["field_type"]),
        "declaredAt": iso_date(s["declared_at"]),
        "installedAt": iso_date(s["installed_at"]),
        "isReinstallation": as_bool(s["is_reinstallation"]),
        "createdAt": iso_datetime(s["created_at"]),
        "updatedAt": iso_datetime(s["updated_at"]),
        "confirmedUnchangedAt": iso_datetime(s["confirmed_unchanged_at"]),
        "status": enum_name(s["status"]),
        "address": s["address"],
        "hasLegalProcedure": as_bool(s["has_legal_procedure"]),
        "outOfDate": latest.date() < today - datetime.timedelta(days=Settings.out_of_date_days),
        "location": {
            "latitude": s["latitude"],
            "longitude": s["longitude"],
            "address": s["address"],
            "accessDetails": s["access_details"],
        },
        "commune": {"code": s["commune_id"], "name": s["commune_name"]},
        "epci": (
            {"code": s["epci_code_"], "name": s["epci_name"]}
            if s["epci_code_"] is not None
            else None
        ),
        "departement": {"code": s["dep_code"], "name": s["dep_name"]},
        "region": {"code": s["region_code_"], "name": s["region_name"]},
        "createdBy": user_name(s, "created_by") if s["created_by_id_"] is not None else None,
        "updatedBy": user_name(s, "updated_by") if s["updated_by_id_"] is not None else None,
        "population": {
            "total": s["population_total"],
            "households": s["population_households"],
            "women": s["population_women"],
            "minors": s["population_minors"],
            "minorsInSchool": s["minors_in_school"],
            "countedAt": iso_date(s["population_counted_at"]),
            "minorsByAge": {
                "from0To3": s["minors_0_3"],
                "from3To6": s["minors_3_6"],
                "from6To12": s["minors_6_12"],
                "from12To16": s["minors_12_16"],
                "from16To18": s["minors_16_18"],
            },
            "dwellings": {k: s[k] for k in ("caravans", "huts", "tents", "cars", "mattresses")},
            "origins": [
                name
                for name, column in (
                    ("FRENCH", "origin_french"),
                    ("EU", "origin_eu"),
                    ("NON_EU", "origin_non_eu"),
                )
                if s[column]
            ],
        },
        "census": {
            "status": enum_name(s["census_status"]),
            "date": iso_date(s["census_date"]),
            "runBy": s["census_by"],
        },
        "livingConditions": {
            "water": {
                "status": enum_name(s["water_status"]),
                "access": tri(s["water_access"]),
                "accessTypes": [enum_name(t) for t in json_list(s["water_access_types"])],
                "onSite": tri(s["water_on_site"]),
                "within200m": tri(s["water_within_200m"]),
                "continuous": tri(s["water_continuous"]),
                "stagnantWater": tri(s["water_stagnant"]),
            },
            "sanitation": {
                "status": enum_name(s["sanitation_status"]),
                "openDefecation": tri(s["sanitation_open_defecation"]),
                "workingToilets": tri(s["sanitation_working_toilets"]),
                "toiletTypes": [enum_name(t) for t in json_list(s["sanitation_toilet_types"])],
                "litAndLockable": tri(s["sanitation_lit_and_lockable"]),
                "handWashing": tri(s["sanitation_hand_washing"]),
            },
            "electricity": {
                "status": enum_name(s["electricity_status"]),
                "access": tri(s["electricity_access"]),
                "types": [enum_name(t) for t in json_list(s["electricity_types"])],
            },
            "waste": {
                "status": enum_name(s["waste_status"]),
                "pilingUp": tri(s["waste_piling"]),
                "collectionNearby": tri(s["waste_collection_nearby"]),
                "regularCollection": tri(s["waste_collection_regular"]),
            },
            "pests": {"status": enum_name(s["pests_status"]), "present": tri(s["pests"])},
            "firePrevention": {
                "status": enum_name(s["fire_prevention_status"]),
                "diagnosisDone": tri(s["fire_prevention_diagnosis"]),
            },
        },
        "legalProcedures": {
            "ownerComplaint": tri(s["owner_complaint"]),
            "justiceProcedure": tri(s["justice_procedure"]),
            "justiceDecision": tri(s["justice_decision"]),
            "justiceDecisionDate": iso_date(s["justice_decision_date"]),
            "justiceCourt": s["justice_court"],
            "policeAssistance": enum_name(s["police_assistance"]),
            "policeRequestedAt": iso_date(s["police_requested_at"]),
            "policeGrantedAt": iso_date(s["police_granted_at"]),
            "bailiff": s["bailiff"],
            "administrativeOrder": tri(s["administrative_order"]),
            "administrativeOrderDate": iso_date(s["administrative_order_date"]),
            "insalubrityOrder": tri(s["insalubrity_order"]),
            "insalubrityOrderDate": iso_date(s["insalubrity_order_date"]),
        },
    }


_INDICATOR_FIELDS = {
    "people": "people",
    "households": "households",
    "women": "women",
    "minors": "minors",
    "healthFollowup": "health_followup",
    "employmentTraining": "employment_training",
    "employmentTrainingWomen": "employment_training_women",
    "shelteredPeople": "sheltered_people",
    "shelteredHouseholds": "sheltered_households",
    "housedPeople": "housed_people",
    "housedHouseholds": "housed_households",
    "minorsSchoolAge": "minors_school_age",
    "minorsInMediation": "minors_in_mediation",
    "enrolledNursery": "enrolled_nursery",
    "enrolledPrimary": "enrolled_primary",
    "enrolledMiddle": "enrolled_middle",
    "enrolledHigh": "enrolled_high",
}


async def _sheet_actions(sql: Sql, site_id: int) -> list[dict[str, Any]]:
    actions = await sql.rows(
        "SELECT a.id, a.name, a.started_at, a.ended_at FROM action_site x"
        f" JOIN action a ON a.id = x.action_id WHERE x.site_id = {sql.mark()}"
        " ORDER BY a.started_at DESC, a.id DESC",
        (site_id,),
    )
    ids = [row["id"] for row in actions]
    topics = group(
        await sql.in_list(
            "SELECT action_id, topic FROM action_topic WHERE action_id IN ({ids}) ORDER BY topic",
            ids,
        ),
        "action_id",
    )
    operators = group(
        await sql.in_list(
            "SELECT x.action_id, u.first_name, u.last_name, o.name AS organization_name"
            ' FROM action_operator x JOIN "user" u ON u.id = x.user_id'
            " JOIN organization o ON o.id = u.organization_id"
            " WHERE x.action_id IN ({ids}) ORDER BY u.id",
            ids,
        ),
        "action_id",
    )
    finances = group(
        await sql.in_list(
            "SELECT action_id, year, finance_type, planned_amount, spent_amount, comment"
            " FROM action_finance WHERE action_id IN ({ids}) ORDER BY year, finance_type, id",
            ids,
        ),
        "action_id",
    )
    indicators = group(
        await sql.in_list(
            "SELECT * FROM action_indicators WHERE action_id IN ({ids}) ORDER BY year, id", ids
        ),
        "action_id",
    )
    return [
        {
            "id": global_id("Action", a["id"]),
            "name": a["name"],
            "startedAt": iso_date(a["started_at"]),
            "endedAt": iso_date(a["ended_at"]),
            "topics": [enum_name(t["topic"]) for t in topics[a["id"]]],
            "operators": [
                {
                    "firstName": o["first_name"],
                    "lastName": o["last_name"],
                    "organization": {"name": o["organization_name"]},
                }
                for o in operators[a["id"]]
            ],
            "finances": [
                {
                    "year": f["year"],
                    "financeType": enum_name(f["finance_type"]),
                    "plannedAmount": decimal_text(f["planned_amount"]),
                    "spentAmount": decimal_text(f["spent_amount"]),
                    "comment": f["comment"],
                }
                for f in finances[a["id"]]
            ],
            "indicators": [
                {"year": i["year"], **{k: i[c] for k, c in _INDICATOR_FIELDS.items()}}
                for i in indicators[a["id"]]
            ],
        }
        for a in actions
    ]


async def _sheet_journal(sql: Sql, site_id: int, children: int) -> dict[str, Any]:
    mark = sql.mark()
    total = await sql.rows(f"SELECT COUNT(*) AS n FROM comment WHERE site_id = {mark}", (site_id,))
    comments = await sql.rows(
        "SELECT c.body, c.tags, c.created_at, u.id AS author_id, u.first_name AS author_first_name,"
        " u.last_name AS author_last_name, o.name AS organization_name"
        ' FROM comment c LEFT JOIN "user" u ON u.id = c.author_id'
        " LEFT JOIN organization o ON o.id = u.organization_id"
        f" WHERE c.site_id = {mark} ORDER BY c.created_at DESC, c.id DESC LIMIT {children:d}",
        (site_id,),
    )

    def author(row: dict[str, Any]) -> dict[str, Any] | None:
        name = user_name(row, "author")
        return (
            None if name is None else {**name, "organization": {"name": row["organization_name"]}}
        )

    return {
        "totalCount": total[0]["n"],
        "nodes": [
            {
                "body": c["body"],
                "tags": json_list(c["tags"]),
                "createdAt": iso_datetime(c["created_at"]),
                "author": author(c),
            }
            for c in comments
        ],
    }


async def _sheet_history(sql: Sql, site_id: int, children: int) -> dict[str, Any]:
    params = ("site", site_id)
    where = f"subject_type = {sql.mark(1)} AND subject_id = {sql.mark(2)}"
    total = await sql.rows(f"SELECT COUNT(*) AS n FROM history_entry WHERE {where}", params)
    entries = await sql.rows(
        "SELECT h.operation, h.changed_at, h.changes, u.id AS author_id,"
        " u.first_name AS author_first_name, u.last_name AS author_last_name"
        ' FROM history_entry h LEFT JOIN "user" u ON u.id = h.author_id'
        f" WHERE h.{where.replace(' AND ', ' AND h.')}"
        f" ORDER BY h.changed_at DESC, h.id DESC LIMIT {children:d}",
        params,
    )
    return {
        "totalCount": total[0]["n"],
        "nodes": [
            {
                "operation": enum_name(h["operation"]),
                "changedAt": iso_datetime(h["changed_at"]),
                "changes": [
                    {"field": name, "oldValue": old, "newValue": new}
                    for name, (old, new) in sorted(json_dict(h["changes"]).items())
                ],
                "author": user_name(h, "author"),
            }
            for h in entries
        ],
    }


async def pick_sheet_site(sql: Sql) -> int:
    """The open site with the most actions, then comments, that also has actors and history."""
    rows = await sql.rows(
        "SELECT s.id,"
        " (SELECT COUNT(*) FROM action_site x WHERE x.site_id = s.id) AS n_actions,"
        " (SELECT COUNT(*) FROM comment c WHERE c.site_id = s.id) AS n_comments"
        " FROM site s WHERE s.status = 'open'"
        " AND EXISTS (SELECT 1 FROM site_actor a WHERE a.site_id = s.id)"
        " AND EXISTS (SELECT 1 FROM history_entry h"
        "   WHERE h.subject_type = 'site' AND h.subject_id = s.id)"
        " ORDER BY n_actions DESC, n_comments DESC, s.id LIMIT 1"
    )
    if not rows:
        raise RuntimeError("the demo data has no open site with actors and history")
    return int(rows[0]["id"])
