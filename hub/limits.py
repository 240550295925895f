"""The query and input limits the settings hold and the schema enforces (``schema.limits``
checks them, ``schema.cost`` spends the cost budgets): plain data, so the settings need no
GraphQL machinery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Cost budgets per role when HUB_COST_BUDGETS says nothing: see schema.cost for the model.
DEFAULT_COST_BUDGETS: Mapping[str, int] = {"anonymous": 2_000, "default": 50_000}


@dataclass(frozen=True)
class Limits:
    depth: int = 15
    aliases: int = 30
    root_fields: int = 20
    directives_per_field: int = 4
    tokens: int = 5_000
    # Any string given as input, in the document or in variables (each field has its own,
    # smaller bound; this one stops what no field would take before anything runs).
    string_length: int = 10_000
    # Entries of any list given as input (location filters, ids, topics, a router's entity
    # representations…): above a page (500) with room, well below what would make building
    # its SQL costly. Each list argument has this bound without naming it.
    list_length: int = 1_000
    # Per role ("anonymous", a role's value, or "default" for the others).
    cost_budgets: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_COST_BUDGETS), hash=False
    )

    def cost_budget(self, role: str | None) -> int:
        key = role or "anonymous"
        return self.cost_budgets.get(key, self.cost_budgets["default"])
