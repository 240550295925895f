"""DataLoaders dispatched in waves, so a request's statement count depends on its shape only.

aiodataloader dispatches a loader's keys one event-loop tick after the first ``load()``.
Resolvers woken by batches that finish at different moments (PostgreSQL answers on several
connections at once) would then ask for the same loader in different ticks, and the number
of statements would vary with timing and row count. Here every loader of a request waits for
the batches in flight to finish, then for the woken resolvers to reach their next ``load()``,
and all waiting loaders are dispatched together: one wave per level of the query. A key
already loaded is answered with the next wave too, not at once: otherwise what depends on it
would reach its own loaders a wave early and split their batches.

A statement may read, beside its own values, the rows another loader gives by key (the
actions linked to sites, with the rows of those actions): ``Priming`` names that loader, which
is primed with them (``prime_fresh``). Until the next wave leaves, those keys are answered at
once: the resolvers woken by the statement ask for them before the next wave, all together,
so answering them then would cost a wave and split nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue_batch, failed_dispatch

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")
BatchLoad = Callable[[list[KeyT]], Awaitable[list[ValueT]]]

# Ticks granted to woken resolvers to reach their next load(): their await chains
# (resolver → loader future → nested resolver) are a few ticks deep, whatever the row count.
SETTLE_TICKS = 8


class Waves:
    def __init__(self) -> None:
        self._waiting: list[WaveLoader[Any, Any]] = []
        # Answers of keys loaded already: (the future holding them, what to do once it holds).
        self._cached: list[tuple[asyncio.Future[Any], Callable[[asyncio.Future[Any]], None]]] = []
        self._running = 0
        self._armed = False
        # Loaders holding keys primed by the wave in flight, answered at once until the next.
        self._fresh: list[WaveLoader[Any, Any]] = []
        # Strong references: the event loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def enqueue(self, loader: WaveLoader[Any, Any]) -> None:
        self._waiting.append(loader)
        self._arm()

    def answer_with_next_wave(
        self, cached: asyncio.Future[Any], answer: Callable[[asyncio.Future[Any]], None]
    ) -> None:
        self._cached.append((cached, answer))
        self._arm()

    def fresh(self, loader: WaveLoader[Any, Any]) -> None:
        self._fresh.append(loader)

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
        for loader in self._fresh:
            loader._fresh.clear()
        self._fresh = []
        for cached, answer in self._cached:
            cached.add_done_callback(answer)
        self._cached = []
        loaders, self._waiting = self._waiting, []
        for loader in loaders:
            queue, loader._queue = loader._queue, []
            self._running += 1
            task = asyncio.ensure_future(self._run(loader, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, loader: WaveLoader[Any, Any], queue: list[Any]) -> None:
        try:
            await loader.dispatch(queue)
        finally:
            self._running -= 1
            if not self._running and (self._waiting or self._cached):
                self._arm()


class Bulk:
    """Keys ``load_many`` asked for that no load had asked for before: one future for all
    of them, holding the wave's values by key (an exception for a key that failed)."""

    __slots__ = ("dispatched", "future", "keys")

    def __init__(self, keys: list[Any], future: asyncio.Future[dict[Any, Any]]) -> None:
        self.keys = keys
        self.future = future
        self.dispatched = False


def _copy(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


def _pick(source: asyncio.Future[dict[Any, Any]], target: asyncio.Future[Any], key: Any) -> None:
    """``target`` settled with ``key``'s value in a bulk's values."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    elif isinstance(value := source.result()[key], Exception):
        target.set_exception(value)
    else:
        target.set_result(value)


async def _values_of(
    keys: list[Any],
    singles: dict[Any, asyncio.Future[Any]],
    by_bulk: dict[Any, asyncio.Future[dict[Any, Any]]],
) -> list[Any]:
    waited = list(
        {id(future): future for future in (*singles.values(), *by_bulk.values())}.values()
    )
    try:
        for future in waited:
            await future
    except BaseException:
        for future in waited:
            # Retrieved, so that asyncio does not report the other failures as forgotten.
            if future.done() and not future.cancelled():
                future.exception()
        raise
    values = [
        singles[key].result() if key in singles else by_bulk[key].result()[key] for key in keys
    ]
    for value in values:
        if isinstance(value, Exception):
            raise value
    return values


class Priming:
    """A batch function whose statement also reads rows that the loader of ``target`` gives
    by key: ``load(keys)`` returns the values of the keys and those rows by the target's key
    (None for a key the target answers with None). The request's loaders prime the target
    with them (``resolvers.context.Loaders``)."""

    __slots__ = ("load", "target")

    def __init__(
        self,
        target: Callable[[Any], BatchLoad[Any, Any]],
        load: Callable[[list[Any]], Awaitable[tuple[list[Any], Mapping[Any, Any]]]],
    ) -> None:
        self.target = target
        self.load = load

    def bound(self, target: WaveLoader[Any, Any]) -> BatchLoad[Any, Any]:
        load = self.load

        async def batch(keys: list[Any]) -> list[Any]:
            values, rows = await load(keys)
            target.prime_fresh(rows)
            return values

        return batch


class Sharing:
    """A batch function made with an object that the request's loaders share: ``shared``
    makes it, once per request, for every loader that names it (``resolvers.context.Loaders``);
    ``make`` gives the batch function that uses it."""

    __slots__ = ("make", "shared")

    def __init__(
        self, shared: Callable[[], Any], make: Callable[[Any], BatchLoad[Any, Any]]
    ) -> None:
        self.shared = shared
        self.make = make


class WaveLoader(DataLoader[KeyT, ValueT]):
    def __init__(self, batch_load: BatchLoad[KeyT, ValueT], waves: Waves) -> None:
        # aiodataloader types batch_load_fn as returning a coroutine; it only awaits the result.
        super().__init__(batch_load)  # type: ignore[arg-type]
        self._waves = waves
        # Every key a bulk asked for, in flight or loaded: later loads find them there.
        self._bulk_of: dict[Any, Bulk] = {}
        # Keys primed by the wave in flight (``prime_fresh``), answered at once until the next.
        self._fresh: set[Any] = set()

    def prime_fresh(self, values: Mapping[KeyT, ValueT]) -> None:
        """Values read by another loader's statement of this wave: loads of their keys are
        answered at once until the next wave leaves (with the value this loader holds
        already, for a key it loaded before)."""
        cache = self._cache
        fresh = self._fresh
        was_fresh = bool(fresh)
        for key, value in values.items():
            cache_key = self.get_cache_key(key)
            if cache_key in cache or key in self._bulk_of:
                # Asked for already: answered with its own value (loaded, or in flight in
                # this wave) at once too.
                fresh.add(cache_key)
                continue
            future: asyncio.Future[ValueT] = self.loop.create_future()
            future.set_result(value)
            cache[cache_key] = future
            fresh.add(cache_key)
        if fresh and not was_fresh:
            self._waves.fresh(self)

    def do_resolve_reject(self, key: KeyT, future: asyncio.Future[ValueT]) -> None:
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self._waves.enqueue(self)

    def load(self, key: KeyT) -> asyncio.Future[ValueT]:
        if key is None:
            return super().load(key)  # aiodataloader's error
        reply: asyncio.Future[ValueT]
        cache_key = self.get_cache_key(key)
        cached = self._cache.get(cache_key)
        if cached is not None:
            if cache_key in self._fresh:
                return cached
            reply = self.loop.create_future()
            self._waves.answer_with_next_wave(cached, functools.partial(_copy, target=reply))
            return reply
        bulk = self._bulk_of.get(key)
        if bulk is not None:
            reply = self.loop.create_future()
            answer = functools.partial(_pick, target=reply, key=key)
            if cache_key in self._fresh:
                bulk.future.add_done_callback(answer)
            else:
                self._waves.answer_with_next_wave(bulk.future, answer)
            return reply
        return super().load(key)

    def load_many(self, keys: Iterable[KeyT]) -> Awaitable[list[ValueT]]:  # type: ignore[override]
        """The values of ``keys``. Keys no load asked for before go to the next wave
        together, with one future for all of them (aiodataloader's costs a future, a queue
        entry and a callback per key); keys asked for before are answered with the next
        wave, as ``load`` answers them."""
        wanted = list(keys)
        singles: dict[Any, asyncio.Future[Any]] = {}
        # The future of the values of the bulk holding each key (by bulk, and whether fresh).
        by_bulk: dict[Any, asyncio.Future[dict[Any, Any]]] = {}
        chosen: dict[tuple[int, bool], asyncio.Future[dict[Any, Any]]] = {}
        missing: list[Any] = []
        bulk_of = self._bulk_of
        for key in dict.fromkeys(wanted):
            bulk = bulk_of.get(key)
            if bulk is None:
                if key is None or self._cache.get(self.get_cache_key(key)) is not None:
                    singles[key] = self.load(key)
                else:
                    missing.append(key)
                continue
            fresh = key in self._fresh
            future = chosen.get((id(bulk), fresh))
            if future is None:
                future = bulk.future if fresh else self._bulk_values(bulk)
                chosen[(id(bulk), fresh)] = future
            by_bulk[key] = future
        if missing:
            bulk = Bulk(missing, self.loop.create_future())
            for key in missing:
                bulk_of[key] = bulk
                by_bulk[key] = bulk.future
            self._queue.append(bulk)  # type: ignore[arg-type]
            if len(self._queue) == 1:
                self._waves.enqueue(self)
        return _values_of(wanted, singles, by_bulk)

    def _bulk_values(self, bulk: Bulk) -> asyncio.Future[dict[Any, Any]]:
        """A bulk's values: with this wave if it has not left yet, else with the next."""
        if not bulk.dispatched:
            return bulk.future
        reply: asyncio.Future[dict[Any, Any]] = self.loop.create_future()
        self._waves.answer_with_next_wave(bulk.future, functools.partial(_copy, target=reply))
        return reply

    def clear(self, key: KeyT) -> WaveLoader[KeyT, ValueT]:
        self._bulk_of.pop(key, None)
        self._fresh.discard(self.get_cache_key(key))
        super().clear(key)
        return self

    async def dispatch(self, queue: list[Any]) -> None:
        """One call of the batch function for the keys of the wave, single and bulk."""
        bulks = [item for item in queue if isinstance(item, Bulk)]
        if not bulks:
            await dispatch_queue_batch(self, queue)
            return
        singles = [item for item in queue if not isinstance(item, Bulk)]
        for bulk in bulks:
            bulk.dispatched = True
        keys = list(
            dict.fromkeys(
                key
                for item in queue
                for key in (item.keys if isinstance(item, Bulk) else (item.key,))
            )
        )
        try:
            values = list(await self.batch_load_fn(keys))
            if len(values) != len(keys):
                raise TypeError(
                    f"The batch function gave {len(values)} values for {len(keys)} keys."
                )
        except Exception as error:
            failed_dispatch(self, singles, error)
            for bulk in bulks:
                for key in bulk.keys:
                    self._bulk_of.pop(key, None)
                if not bulk.future.done():
                    bulk.future.set_exception(error)
            return
        found = dict(zip(keys, values, strict=True))
        for item in singles:
            if not item.future.done():
                value = found[item.key]
                if isinstance(value, Exception):
                    item.future.set_exception(value)
                else:
                    item.future.set_result(value)
        for bulk in bulks:
            if not bulk.future.done():
                bulk.future.set_result(found)


def regrouped(groups: Sequence[Sequence[Any]], values: Sequence[ValueT]) -> list[list[ValueT]]:
    """``values`` (one per member of the flattened ``groups``) split back into the groups,
    without the Nones (what the caller may not read)."""
    found = iter(values)
    return [
        [value for value in (next(found) for _ in group) if value is not None] for group in groups
    ]
