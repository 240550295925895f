"""The tables at the end of a run: deliveries, then what the processes used."""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
from collections.abc import Sequence

from bench.live.results import Latency, PassResult, Usage


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _latency(latency: Latency) -> str:
    return f"{_ms(latency.p50_ms)} / {_ms(latency.p99_ms)} / {_ms(latency.max_ms)}"


def _cores(usage: Usage, seconds: float, each_process: bool = False) -> str:
    cores = usage.cpu_seconds / seconds if seconds > 0 else math.nan
    each = ""
    if each_process and len(usage.per_process) > 1:
        each = " (" + " + ".join(f"{s:.1f}" for s in usage.per_process) + ")"
    return f"{usage.cpu_seconds:.1f} s{each} = {cores:.2f} cores"


def _machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def print_tables(
    results: list[PassResult], args: argparse.Namespace, began: datetime.datetime
) -> None:
    print(
        f"\nLive updates, {began:%Y-%m-%d %H:%M %Z} on {_machine()}\n"
        f"PostgreSQL, {args.sites} demo sites; {args.subscribers} sitesChanged subscribers over"
        f" {args.territories} départements in {args.subscriber_processes} process(es)"
        f" (compression {'off' if args.no_compression else 'permessage-deflate'}); updateSite"
        f" {args.rate:g}/s for {args.seconds:g} s over {args.connections} HTTP connections;"
        f" HUB_LIVE_QUEUE_SIZE={args.queue_size}\n"
    )
    rows: list[tuple[str, ...]] = [
        (
            "workers",
            "subscribed",
            "mutations ok/sent",
            "rate /s",
            "expected",
            "received",
            "missing",
            "dup.",
            "failures",
            "deliveries/s",
            "event→receipt ms p50/p99/max",
            "answer→receipt ms p50/p99/max",
            "mutation ms p50/p99",
        )
    ]
    for r in results:
        failures = sum(r.failures.values()) + r.unexpected
        rows.append(
            (
                str(r.workers),
                f"{r.acknowledged}/{r.subscribers}",
                f"{r.events}/{r.sent}",
                f"{r.achieved_rate:.1f}",
                f"{r.expected:,}",
                f"{r.delivered:,}",
                f"{r.missing:,}",
                f"{r.duplicates:,}",
                f"{failures:,}",
                f"{r.deliveries_per_second:,.0f} of {r.offered_per_second:,.0f}",
                _latency(r.from_event),
                _latency(r.from_answer),
                f"{_ms(r.mutation.p50_ms)} / {_ms(r.mutation.p99_ms)}",
            )
        )
    _print(rows)
    print()
    usage: list[tuple[str, ...]] = [
        (
            "workers",
            "window s",
            "hub CPU",
            "hub RSS MB idle→end (peak)",
            "PostgreSQL CPU",
            "subscribers CPU",
            "subscribers RSS MB",
            "driver CPU",
            "load avg",
        )
    ]
    for r in results:
        usage.append(
            (
                str(r.workers),
                f"{r.window_seconds:.1f}",
                _cores(r.hub, r.window_seconds, each_process=True),
                f"{r.hub.idle_mb:.0f}→{r.hub.rss_mb:.0f} ({r.hub.peak_mb:.0f})",
                _cores(r.postgres, r.window_seconds),
                _cores(r.clients, r.window_seconds, each_process=True),
                f"{r.clients.rss_mb:.0f} ({r.clients.peak_mb:.0f})",
                _cores(r.driver, r.window_seconds),
                f"{r.load_before[0]:.1f}→{r.load_after[0]:.1f}",
            )
        )
    _print(usage)
    for r in results:
        _notes(r)
    print(
        "\n  event→receipt: from the event's `at` (stamped by the hub as the mutation's write"
        " begins, before its transaction commits) to the subscriber's receipt, both on this"
        " machine's clock; answer→receipt: from the mutation's HTTP answer reaching the driver"
        " (after the commit) to the receipt, negative when the event came first."
        "\n  expected: each committed event × the subscribers of its département (every one may"
        " read it); received: distinct (subscriber, event) pairs that came; dup.: extra copies;"
        " failures: closes (4413: fell HUB_LIVE_QUEUE_SIZE behind), error messages, events of"
        " another territory."
        "\n  deliveries/s: received over the window, from the first mutation sent to the last"
        " delivery, of the rate offered (expected / the seconds the mutations took to send:"
        " --seconds, or more when the hub made them late). CPU: user + system over that"
        " window (/proc), and in cores; PostgreSQL: the backends of the bench database;"
        " driver: this process (the mutations and the bookkeeping).",
        flush=True,
    )


def _notes(r: PassResult) -> None:
    lines = []
    if r.failures:
        lines.append(f"subscriber failures: {r.failures}")
        lines.extend(f"  e.g. {example}" for example in r.failure_examples[:3])
    if r.unexpected:
        lines.append(f"{r.unexpected} events of another département or of no mutation")
    if r.mutation_errors:
        lines.append(f"mutation errors: {r.mutation_errors}")
        lines.extend(f"  e.g. {example}" for example in r.mutation_error_examples[:2])
    if r.skipped:
        lines.append(f"{r.skipped} mutations not sent: every site of their territory was busy")
    if r.unmatched_sites:
        lines.append(f"{r.unmatched_sites} sites whose events and answers could not be paired")
    lines.append(
        f"answers by worker: {dict(sorted(r.answers_by_worker.items()))}; latest send"
        f" {r.max_send_lag_ms:.0f} ms behind schedule; {r.before_answer:,} deliveries before"
        f" the mutation's answer; drain {r.drain_seconds:.1f} s after the last answer;"
        f" subscribed in {r.connect_seconds:.1f} s, warm-up {r.warmup_seconds:.1f} s"
    )
    lines.extend(f"hub log: {line}" for line in r.hub_log)
    print(f"\n  {r.workers} worker(s):")
    for line in lines:
        print(f"    {line}")


def _print(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
