"""Shared plumbing of the demo builders: id counters, seeded randomness, rows to write."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from tortoise.models import Model

from hub.demo.reference import REFERENCE_TIME

Json = str | int | float | bool | None | list[str]
T = TypeVar("T")


def rng_for(seed: int, phase: str) -> random.Random:
    # One generator per phase: a change in how users are drawn does not reshuffle the sites.
    # Seeding with a str is stable across processes (it is hashed with SHA-512, not hash()).
    return random.Random(f"{seed}:{phase}")


class Ids:
    """Primary keys handed out in creation order, so that ids do not depend on the database."""

    def __init__(self) -> None:
        self._last: dict[type[Model], int] = defaultdict(int)

    def next(self, model: type[Model]) -> int:
        self._last[model] += 1
        return self._last[model]

    def upcoming(self, model: type[Model]) -> int:
        """The id ``next`` will hand out, not yet taken."""
        return self._last[model] + 1


@dataclass
class Rows:
    """Everything to insert, in memory until the single write at the end."""

    # Model instances, for the small tables whose rows later builders read back.
    models: dict[type[Model], list[Model]] = field(default_factory=lambda: defaultdict(list))
    # Plain {field: value} rows, for the big tables: building hundreds of thousands of model
    # instances costs more than inserting them.
    values: dict[type[Model], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Many-to-many through tables: table name -> (left id, right id) pairs.
    links: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, instance: T) -> T:
        # T is bound to Model, but mypy does not narrow type(instance) to type[Model].
        self.models[type(instance)].append(instance)  # type: ignore[index]
        return instance

    def add_values(self, model: type[Model], **values: Any) -> dict[str, Any]:
        """A row given by its model's field names; every row of a model has the same keys."""
        self.values[model].append(values)
        return values

    def link(self, table: str, left: int, right: int) -> None:
        self.links[table].append((left, right))


@dataclass(frozen=True)
class Scale:
    """How many of each thing, proportional to the number of sites (2000 is the reference)."""

    sites: int

    @property
    def factor(self) -> float:
        return self.sites / 2000

    def of(self, default: int, floor: int) -> int:
        return max(floor, round(default * self.factor))

    @property
    def open_sites(self) -> int:
        return int(self.sites * 0.25 + 0.5)


def at(day: date, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=UTC)


def office_time(rng: random.Random, day: date) -> datetime:
    """A moment of a working day: people update the hub from the office."""
    return at(day, rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59))


def days_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def moments_between(
    rng: random.Random, start: datetime, end: datetime, count: int
) -> list[datetime]:
    """``count`` strictly increasing moments strictly inside (start, end), in office hours
    when the span allows it."""
    if count <= 0:
        return []
    span = (end - start).total_seconds()
    if span <= count + 1:
        raise ValueError("span too short for the requested moments")
    moments: set[datetime] = set()
    first_day, last_day = start.date(), end.date()
    tries = 0
    while len(moments) < count:
        tries += 1
        if tries < count * 20 and (last_day - first_day).days >= 2:
            moment = office_time(rng, days_between(rng, first_day, last_day))
        else:
            moment = start + timedelta(seconds=rng.randint(1, int(span) - 1))
        if start < moment < end:
            moments.add(moment)
    return sorted(moments)


def clamp_time(moment: datetime) -> datetime:
    return min(moment, REFERENCE_TIME - timedelta(hours=1))


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders, stable on ties)."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    shares = [total * w / weight_sum for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
