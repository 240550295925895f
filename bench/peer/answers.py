"""Do the servers answer the same? Each answer is reduced to the same plain rows and compared.

A row per site: (site id, name, address, total, minors, commune, département, [(action name,
sorted topics, [operators' organization names])]). The hub and the floor name sites by global
id (base64 of ``Site:<n>``) and nest the population; PostGraphile gives the integer key, flat
columns and the link tables' own names.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

Action = tuple[str, list[str], list[str]]
Row = tuple[int, str, str | None, int | None, int | None, str, str, list[Action]]


class BadAnswer(ValueError):
    """An answer with errors, or without the sites asked for."""


def _site_key(raw: int | str) -> int:
    if isinstance(raw, int):
        return raw
    kind, _, key = base64.b64decode(raw).decode().partition(":")
    if kind != "Site":
        raise BadAnswer(f"not a site id: {raw!r}")
    return int(key)


def _hub_row(site: dict[str, Any]) -> Row:
    actions = [
        (
            a["name"],
            sorted(t.lower() for t in a["topics"]),
            [o["organization"]["name"] for o in a["operators"]],
        )
        for a in site["actions"]
    ]
    return (
        _site_key(site["id"]), site["name"], site["address"], site["population"]["total"],
        site["population"]["minors"], site["commune"]["name"], site["departement"]["name"],
        actions,
    )  # fmt: skip


def _postgraphile_row(site: dict[str, Any]) -> Row:
    actions = [
        (
            a["name"],
            sorted(t["topic"] for t in a["actionTopicsList"]),
            [o["organization"]["name"] for o in a["usersByActionOperatorActionIdAndUserIdList"]],
        )
        for a in site["actionsByActionSiteSiteIdAndActionIdList"]
    ]
    return (
        _site_key(site["id"]), site["name"], site["address"], site["populationTotal"],
        site["populationMinors"], site["commune"]["name"], site["commune"]["departement"]["name"],
        actions,
    )  # fmt: skip


def normalize(answer: dict[str, Any]) -> list[Row]:
    if answer.get("errors"):
        messages = sorted({str(e.get("message")) for e in answer["errors"]})
        raise BadAnswer(f"{len(answer['errors'])} error(s): {'; '.join(messages)}")
    data = answer.get("data") or {}
    if "sites" in data:
        return [_hub_row(site) for site in data["sites"]["nodes"]]
    if "sitesList" in data:
        return [_postgraphile_row(site) for site in data["sitesList"]]
    raise BadAnswer(f"no sites in the answer (keys: {sorted(data)})")


@dataclass(frozen=True)
class Comparison:
    summary: str
    # None when the rows are the same as the reference's, else the first difference.
    difference: str | None


def summarize(rows: list[Row]) -> str:
    actions = sum(len(row[7]) for row in rows)
    operators = sum(len(action[2]) for row in rows for action in row[7])
    return f"{len(rows)} sites, {actions} actions, {operators} operator entries"


_FIELDS = ("id", "name", "address", "total", "minors", "commune", "département", "actions")


def _first_difference(a: Row, b: Row) -> str:
    for field, x, y in zip(_FIELDS, a, b, strict=True):
        if x == y:
            continue
        if field != "actions" or not isinstance(x, list) or not isinstance(y, list):
            return f"site {a[0]}, {field}: {x!r} ≠ {y!r}"
        if len(x) != len(y):
            return f"site {a[0]}: {len(x)} actions ≠ {len(y)}"
        i, p, q = next((i, p, q) for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q)
        return f"site {a[0]}, action {i}: {p!r} ≠ {q!r}"
    return f"site {a[0]}"


def compare(reference: list[Row], other: list[Row]) -> Comparison:
    if other == reference:
        return Comparison(summarize(other), None)
    if [row[0] for row in other] != [row[0] for row in reference]:
        difference = "not the same sites, or not in the same order"
    else:
        a, b = next((a, b) for a, b in zip(reference, other, strict=True) if a != b)
        difference = _first_difference(a, b)
    return Comparison(summarize(other), difference)
