"""What one pass measured: deliveries matched against the committed events, latencies, and
the processes' CPU and memory."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.relay import from_base64

from bench.live.driver import Drive


@dataclass
class Event:
    id: int
    at: float  # the event's `at` (time.time() scale): stamped as the mutation's write began
    site_id: int
    territory: str


@dataclass
class Usage:
    """CPU seconds over the measured window, and memory, of one group of processes."""

    cpu_seconds: float = 0.0
    # Per process (hub workers), in the order of their PIDs.
    per_process: list[float] = field(default_factory=list)
    rss_mb: float = 0.0  # at the end of the window, all processes together
    peak_mb: float = 0.0  # VmHWM: the highest resident memory each reached, summed
    idle_mb: float = 0.0  # before the subscribers connected (the hub only)


@dataclass
class Latency:
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    max_ms: float = math.nan
    samples: int = 0

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        if not seconds:
            return cls()
        ordered = sorted(seconds)
        p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
        return cls(statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000, len(ordered))


@dataclass
class PassResult:
    workers: int
    subscribers: int
    acknowledged: int
    rate: float
    seconds: float
    # updateSite: sent, succeeded, not sent (no free site), errors by kind, answers by worker.
    sent: int = 0
    events: int = 0
    skipped: int = 0
    mutation_errors: dict[str, int] = field(default_factory=dict)
    mutation_error_examples: list[str] = field(default_factory=list)
    answers_by_worker: dict[str, int] = field(default_factory=dict)
    achieved_rate: float = 0.0
    # How far behind its schedule the last mutation was sent (every connection busy).
    max_send_lag_ms: float = 0.0
    mutation: Latency = field(default_factory=Latency)
    expected: int = 0
    delivered: int = 0  # distinct (subscriber, event) pairs that should have come and came
    missing: int = 0
    duplicates: int = 0
    unexpected: int = 0  # events of another territory, or no event of this run
    # Subscriber failures by kind: closes (4413: fell HUB_LIVE_QUEUE_SIZE behind), errors.
    failures: dict[str, int] = field(default_factory=dict)
    failure_examples: list[str] = field(default_factory=list)
    from_event: Latency = field(default_factory=Latency)
    from_answer: Latency = field(default_factory=Latency)
    before_answer: int = 0  # deliveries received before the mutation's HTTP answer
    unmatched_sites: int = 0  # sites whose events and answers could not be paired
    deliveries_per_second: float = 0.0
    offered_per_second: float = 0.0
    # From the first mutation sent to the last delivery received; the drain after the last
    # answer.
    window_seconds: float = 0.0
    drain_seconds: float = 0.0
    warmup_seconds: float = 0.0
    connect_seconds: float = 0.0
    hub: Usage = field(default_factory=Usage)
    postgres: Usage = field(default_factory=Usage)
    clients: Usage = field(default_factory=Usage)  # the subscriber process(es)
    driver: Usage = field(default_factory=Usage)  # this process: mutations and bookkeeping
    subscriber_processes: int = 1
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    hub_log: list[str] = field(default_factory=list)


def match(
    result: PassResult,
    territory_of: Sequence[str],
    events: list[Event],
    received: list[Any],
    drive: Drive,
) -> None:
    """Fills ``result``'s delivery figures: each receipt ``[subscriber, activity id, at,
    received at]`` against the events the run committed, and each event against the
    mutation that made it (a site's events, in id order, are its renames in order)."""
    by_id = {event.id: event for event in events}
    subscribers_of = Counter(territory_of)
    result.events = len(events)
    result.expected = sum(subscribers_of[event.territory] for event in events)
    answered = _answers_by_event(events, drive, result)
    seen: Counter[tuple[int, int]] = Counter()
    from_event, from_answer = [], []
    first_sent = min((m.sent for m in drive.mutations), default=0.0)
    last = first_sent
    for subscriber, global_id, _, at in received:
        event = by_id.get(int(from_base64(global_id)[1]))
        if event is None:
            continue  # a warm-up event (before the run), or unexpected (counted below)
        if territory_of[subscriber] != event.territory:
            result.unexpected += 1
            continue
        seen[(subscriber, event.id)] += 1
        if seen[(subscriber, event.id)] > 1:
            continue
        last = max(last, at)
        from_event.append(at - event.at)
        if event.id in answered:
            from_answer.append(at - answered[event.id])
    result.delivered = len(seen)
    result.duplicates = sum(count - 1 for count in seen.values())
    result.missing = result.expected - result.delivered
    result.from_event = Latency.of(from_event)
    result.from_answer = Latency.of(from_answer)
    result.before_answer = sum(1 for delay in from_answer if delay < 0)
    result.window_seconds = last - first_sent
    if result.window_seconds > 0:
        result.deliveries_per_second = result.delivered / result.window_seconds
    # Over the time the mutations took to send, when the hub made them late.
    sending = max(result.seconds, max((m.sent for m in drive.mutations), default=0.0) - first_sent)
    result.offered_per_second = result.expected / sending if sending > 0 else 0.0
    last_answer = max((m.answered for m in drive.mutations), default=last)
    result.drain_seconds = max(0.0, last - last_answer)


def _answers_by_event(events: list[Event], drive: Drive, result: PassResult) -> dict[int, float]:
    """When the HTTP answer of each event's mutation arrived, by event id."""
    events_of: defaultdict[int, list[Event]] = defaultdict(list)
    for event in events:
        events_of[event.site_id].append(event)
    renames_of: defaultdict[int, list[float]] = defaultdict(list)
    for mutation in sorted(drive.succeeded, key=lambda m: m.sent):
        renames_of[mutation.site_id].append(mutation.answered)
    answered = {}
    for site_id, site_events in events_of.items():
        renames = renames_of.get(site_id, [])
        if len(renames) != len(site_events):
            result.unmatched_sites += 1
            continue
        for event, at in zip(sorted(site_events, key=lambda e: e.id), renames, strict=True):
            answered[event.id] = at
    return answered


def mutation_figures(result: PassResult, drive: Drive) -> None:
    result.sent = len(drive.mutations)
    result.skipped = drive.skipped
    result.mutation_errors = dict(drive.errors)
    result.mutation_error_examples = drive.examples
    result.answers_by_worker = dict(Counter(m.worker for m in drive.mutations))
    result.mutation = Latency.of([m.answered - m.sent for m in drive.mutations])
    if drive.mutations:
        result.max_send_lag_ms = max(m.sent - m.due for m in drive.mutations) * 1000
        span = max(m.sent for m in drive.mutations) - drive.started
        result.achieved_rate = (len(drive.mutations) - 1) / span if span > 0 else math.nan
