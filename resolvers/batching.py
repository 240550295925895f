"""DataLoaders dispatched in waves, so a request's statement count depends on its shape only.

aiodataloader dispatches a loader's keys one event-loop tick after the first ``load()``.
Resolvers woken by batches that finish at different moments (PostgreSQL answers on several
connections at once) would then ask for the same loader in different ticks, and the number
of statements would vary with timing and row count. Here every loader of a request waits for
the batches in flight to finish, then for the woken resolvers to reach their next ``load()``,
and all waiting loaders are dispatched together: one wave per level of the query. A key
already loaded is answered with the next wave too, not at once: otherwise what depends on it
would reach its own loaders a wave early and split their batches.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue_batch

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")
BatchLoad = Callable[[list[KeyT]], Awaitable[list[ValueT]]]

# Ticks granted to woken resolvers to reach their next load(): their await chains
# (resolver → loader future → nested resolver) are a few ticks deep, whatever the row count.
SETTLE_TICKS = 8


class Waves:
    def __init__(self) -> None:
        self._waiting: list[WaveLoader[Any, Any]] = []
        self._cached: list[tuple[asyncio.Future[Any], asyncio.Future[Any]]] = []
        self._running = 0
        self._armed = False
        # Strong references: the event loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def enqueue(self, loader: WaveLoader[Any, Any]) -> None:
        self._waiting.append(loader)
        self._arm()

    def answer_with_next_wave(
        self, cached: asyncio.Future[Any], reply: asyncio.Future[Any]
    ) -> None:
        self._cached.append((cached, reply))
        self._arm()

    def _arm(self) -> None:
        if self._armed or self._running:
            return
        self._armed = True
        asyncio.get_running_loop().call_soon(self._settle, SETTLE_TICKS)

    def _settle(self, ticks: int) -> None:
        if ticks:
            asyncio.get_running_loop().call_soon(self._settle, ticks - 1)
            return
        self._armed = False
        for cached, reply in self._cached:
            cached.add_done_callback(functools.partial(_copy, target=reply))
        self._cached = []
        loaders, self._waiting = self._waiting, []
        for loader in loaders:
            queue, loader._queue = loader._queue, []
            self._running += 1
            task = asyncio.ensure_future(self._run(loader, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, loader: WaveLoader[Any, Any], queue: list[Loader]) -> None:
        try:
            await dispatch_queue_batch(loader, queue)
        finally:
            self._running -= 1
            if not self._running and (self._waiting or self._cached):
                self._arm()


async def _values_of(keys: list[KeyT], futures: dict[KeyT, asyncio.Future[ValueT]]) -> list[ValueT]:
    try:
        for future in futures.values():
            await future
    except BaseException:
        for future in futures.values():
            # Retrieved, so that asyncio does not report the other failures as forgotten.
            if future.done() and not future.cancelled():
                future.exception()
        raise
    return [futures[key].result() for key in keys]


def _copy(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


class WaveLoader(DataLoader[KeyT, ValueT]):
    def __init__(self, batch_load: BatchLoad[KeyT, ValueT], waves: Waves) -> None:
        # aiodataloader types batch_load_fn as returning a coroutine; it only awaits the result.
        super().__init__(batch_load)  # type: ignore[arg-type]
        self._waves = waves

    def do_resolve_reject(self, key: KeyT, future: asyncio.Future[ValueT]) -> None:
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self._waves.enqueue(self)

    def load_many(self, keys: Iterable[KeyT]) -> Awaitable[list[ValueT]]:  # type: ignore[override]
        """The values of ``keys``: one future per distinct key, awaited in turn. They all
        settle with the same wave, so this costs one wake-up, where aiodataloader's gather
        costs a callback per key."""
        wanted = list(keys)
        futures = {key: self.load(key) for key in dict.fromkeys(wanted)}
        return _values_of(wanted, futures)

    def load(self, key: KeyT) -> asyncio.Future[ValueT]:
        cached = self._cache.get(self.get_cache_key(key)) if key is not None else None
        if cached is None:
            return super().load(key)
        reply: asyncio.Future[ValueT] = self.loop.create_future()
        self._waves.answer_with_next_wave(cached, reply)
        return reply


def regrouped(groups: Sequence[Sequence[Any]], values: Sequence[ValueT]) -> list[list[ValueT]]:
    """``values`` (one per member of the flattened ``groups``) split back into the groups,
    without the Nones (what the caller may not read)."""
    found = iter(values)
    return [
        [value for value in (next(found) for _ in group) if value is not None] for group in groups
    ]
