"""Synthesis on worker threads, shared fairly between contexts and connections.

One call of a synthesizer (one piece of a context's text) is a :class:`Stream`;
``await stream.next()`` is one step of it: a ``next()`` of the synthesizer's
iterator on a worker thread, about one sentence of work
(:mod:`app.engine.synth.base`). Each synthesizer is a lane that runs one step at
a time: Piper and espeak serialise their own work anyway, so a second step in
flight would only wait for their lock, and only a lane that admits one step at a
time can choose who goes next. It chooses by fair queueing on the time the steps
took (:class:`FairQueue`): the group (a connection, or one REST request) that had
the least time goes first, and within it the stream that had the least. A
newcomer starts level with the least served and wins the tie, so a short request
waits for the step in progress and no more, however many long ones are running.

Work follows the listener: :meth:`Stream.aclose` sets the request's
:class:`~app.engine.synth.base.Cancel` at once, which ends a step in progress
early, and the iterator is closed on a worker thread once that step is over
(closing runs the synthesizer's ``finally`` blocks, which may join threads).
:meth:`Scheduler.stop` does that for every stream and leaves no thread behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.engine.synth.base import Synthesizer, SynthEvent, SynthRequest

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Hashable)

#: How long :meth:`Scheduler.stop` waits for steps to notice their cancel.
STOP_TIMEOUT = 5.0


@dataclass
class _Group:
    served: float = 0.0
    steps: int = 0
    members: int = 0


@dataclass
class _Member:
    group: Hashable
    order: int
    served: float = 0.0
    steps: int = 0
    ready: bool = False


@dataclass
class FairQueue(Generic[T]):
    """Which waiting item is served next: the least-served group, then its least-served
    item, by the seconds charged to them. Pure bookkeeping, no clock and no threads."""

    _groups: dict[Hashable, _Group] = field(default_factory=dict)
    _members: dict[T, _Member] = field(default_factory=dict)
    _added: int = 0

    def add(self, item: T, group: Hashable) -> None:
        """Register ``item``; it starts level with the least served of those present."""
        if item in self._members:
            return
        found = self._groups.get(group)
        if found is None:
            floor = min((g.served for g in self._groups.values()), default=0.0)
            found = self._groups[group] = _Group(served=floor)
        found.members += 1
        floor = min((m.served for m in self._members.values() if m.group == group),
                    default=0.0)
        self._added += 1
        self._members[item] = _Member(group, self._added, served=floor)

    def remove(self, item: T) -> None:
        member = self._members.pop(item, None)
        if member is None:
            return
        group = self._groups[member.group]
        group.members -= 1
        if group.members == 0:
            del self._groups[member.group]

    def ready(self, item: T) -> None:
        """``item`` wants to be served."""
        self._members[item].ready = True

    def pop(self) -> T | None:
        """The item to serve now (no longer ready), or ``None`` if none is ready."""
        waiting = [(item, member) for item, member in self._members.items() if member.ready]
        if not waiting:
            return None

        def group_rank(pair: tuple[T, _Member]) -> tuple[float, int]:
            group = self._groups[pair[1].group]
            return group.served, group.steps

        best_group = min(waiting, key=group_rank)[1].group
        item, member = min(((i, m) for i, m in waiting if m.group == best_group),
                           key=lambda pair: (pair[1].served, pair[1].steps, pair[1].order))
        member.ready = False
        return item

    def charge(self, item: T, seconds: float) -> None:
        """``item`` was served for ``seconds``."""
        member = self._members.get(item)
        if member is None:
            return
        member.served += seconds
        member.steps += 1
        group = self._groups[member.group]
        group.served += seconds
        group.steps += 1


class _Lane:
    """One synthesizer: its waiting streams and the one step it is running."""

    def __init__(self) -> None:
        self.queue: FairQueue[Stream] = FairQueue()
        self.running: Stream | None = None


class Stream:
    """One synthesizer call, stepped by the :class:`Scheduler`.

    It reads one event ahead: the next step is asked for as soon as an event is
    handed over, so the stream is waiting in its lane while its consumer sends what
    it got. Otherwise a short request would lose its turn after each event to a long
    one that was ready at that instant, and wait a sentence every time.
    """

    def __init__(self, scheduler: Scheduler, lane: _Lane, synth: Synthesizer,
                 request: SynthRequest) -> None:
        self.request = request
        self._scheduler = scheduler
        self._lane = lane
        self._synth = synth
        self._events: Iterator[SynthEvent] | None = None
        self._waiter: asyncio.Future[SynthEvent | None] | None = None
        #: The event read ahead (or the exception), not yet asked for.
        self._ahead: list[tuple[SynthEvent | None, BaseException | None]] = []
        self._asked = False  # a step is waiting in the lane or running
        self._ended = False  # the iterator is exhausted, or failed
        self._closing = False
        self.closed: asyncio.Future[None] = scheduler.loop.create_future()

    async def next(self) -> SynthEvent | None:
        """The next event, ``None`` at the end (or once closed); the synthesizer's
        exception if it failed."""
        if self._closing:
            return None
        if self._ahead:
            event, error = self._ahead.pop()
            self._ask()
            if error is not None:
                raise error
            return event
        if self._ended:
            return None
        waiter: asyncio.Future[SynthEvent | None] = self._scheduler.loop.create_future()
        self._waiter = waiter
        self._ask()
        return await waiter

    def _ask(self) -> None:
        if self._asked or self._ended or self._closing:
            return
        self._asked = True
        self._lane.queue.ready(self)
        self._scheduler.pump(self._lane)

    async def aclose(self) -> None:
        """Stop now: the step in progress is cancelled, no other starts; returns when
        the synthesizer's iterator is closed."""
        if not self._closing:
            self._closing = True
            # First, before any await: this is what stops the work in progress.
            self.request.cancel.set()
            self._lane.queue.remove(self)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(None)
            if self._lane.running is not self:
                self._scheduler.finish(self)
        await asyncio.shield(self.closed)

    # --- on a worker thread ----------------------------------------------------

    def step(self) -> tuple[SynthEvent | None, float]:
        """One event and the seconds it took."""
        started = time.perf_counter()
        if self.request.cancel.is_set():
            return None, 0.0
        if self._events is None:
            self._events = iter(self._synth.synthesize(self.request))
        event = next(self._events, None)
        return event, time.perf_counter() - started

    def close_events(self) -> None:
        if self._events is not None:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()

    # --- on the loop, from the scheduler ---------------------------------------------

    def stepped(self, future: asyncio.Future[tuple[SynthEvent | None, float]]) -> None:
        self._asked = False
        event: SynthEvent | None = None
        error: BaseException | None
        if future.cancelled():
            error = asyncio.CancelledError()
        elif (error := future.exception()) is None:
            event, seconds = future.result()
            self._lane.queue.charge(self, seconds)
        if self._closing:
            if error is not None:
                log.debug("a cancelled synthesis step ended with %r", error)
            return
        self._ended = event is None or error is not None
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._ahead.append((event, error))
            return
        self._waiter = None
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(event)
        self._ask()  # read ahead


class Scheduler:
    """The worker threads and the lanes; one per server, used from its event loop."""

    def __init__(self, workers: int = 4) -> None:
        # Steps run one per lane; the other threads close streams, which may wait for a
        # synthesizer's own threads to finish.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synth")
        self._lanes: dict[int, _Lane] = {}
        self._streams: set[Stream] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def streams(self) -> int:
        """Syntheses open (not yet closed)."""
        return len(self._streams)

    @property
    def running(self) -> int:
        """Steps running on worker threads now."""
        return sum(lane.running is not None for lane in self._lanes.values())

    def open(self, synth: Synthesizer, request: SynthRequest, group: Hashable) -> Stream:
        """A stream for ``synth.synthesize(request)``, its time charged to ``group``.
        Nothing runs until :meth:`Stream.next`; always :meth:`Stream.aclose` it."""
        lane = self._lanes.setdefault(id(synth), _Lane())
        stream = Stream(self, lane, synth, request)
        if self._stopped:
            request.cancel.set()
            stream.closed.set_result(None)
            stream._closing = True
            return stream
        self._streams.add(stream)
        lane.queue.add(stream, group)
        return stream

    def pump(self, lane: _Lane) -> None:
        """Start the lane's next step, if it is free and someone waits."""
        if lane.running is not None:
            return
        stream = lane.queue.pop()
        if stream is None:
            return
        lane.running = stream
        future = self.loop.run_in_executor(self._executor, stream.step)
        future.add_done_callback(lambda f: self._stepped(lane, stream, f))

    def _stepped(self, lane: _Lane, stream: Stream,
                 future: asyncio.Future[tuple[SynthEvent | None, float]]) -> None:
        lane.running = None
        stream.stepped(future)
        if stream._closing:
            self.finish(stream)
        self.pump(lane)

    def finish(self, stream: Stream) -> None:
        """Close the stream's iterator on a worker thread, then resolve ``closed``."""
        def closed(future: asyncio.Future[None]) -> None:
            self._streams.discard(stream)
            if not future.cancelled() and (exc := future.exception()) is not None:
                log.error("closing a synthesis failed", exc_info=exc)
            if not stream.closed.done():
                stream.closed.set_result(None)

        try:
            future = self.loop.run_in_executor(self._executor, stream.close_events)
        except RuntimeError:  # the executor is shut down: nothing can run any more
            self._streams.discard(stream)
            if not stream.closed.done():
                stream.closed.set_result(None)
            return
        future.add_done_callback(closed)

    async def stop(self) -> None:
        """Cancel every stream, wait (bounded) for their steps and iterators to end,
        and end the worker threads."""
        self._stopped = True
        streams = list(self._streams)
        if streams:
            closing = [asyncio.ensure_future(stream.aclose()) for stream in streams]
            _, pending = await asyncio.wait(closing, timeout=STOP_TIMEOUT)
            for task in pending:
                task.cancel()
            if pending:
                log.error("%d syntheses did not stop within %.0f s of their cancel",
                          len(pending), STOP_TIMEOUT)
                await asyncio.wait(pending)
        # Every step and close has returned, so the threads are idle and end at once.
        self._executor.shutdown(wait=not self._streams)
