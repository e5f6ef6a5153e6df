"""LLM stage, gate: at most ``capacity`` requests at the model; the rest wait in a fair queue.

The queue is round-robin over learners, so one learner with three questions in flight does not
push everybody else back three places. A waiting caller hears its place and an estimated wait
(``on_wait``); when the estimate, or the wait itself, passes ``max_wait_s`` it gets ``LLMBusy``
carrying the same numbers at once, instead of a spinner for two minutes. Estimates come from how
long recent slots were held (a moving average, seeded with the measured time of one answer).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tutorbot.llm.errors import LLMBusy


@dataclass(frozen=True)
class QueueInfo:
    position: int  # requests admitted before this one (0 = next)
    estimate_s: float  # expected wait until admitted


@dataclass(eq=False)
class _Ticket:
    key: Hashable
    admitted: bool = False
    since: float = field(default_factory=time.monotonic)


class FairGate:
    """A counting gate with a per-learner round-robin queue; thread-safe."""

    def __init__(self, capacity: int, max_wait_s: float, typical_s: float = 20.0,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity, self.max_wait_s, self.typical_s, self._clock = capacity, max_wait_s, typical_s, clock
        self._cond = threading.Condition()
        self._active = 0
        self._waiting: dict[Hashable, deque[_Ticket]] = {}  # insertion order = round-robin order

    @contextmanager
    def slot(self, learner: Hashable | None = None,
             on_wait: Callable[[QueueInfo], None] | None = None) -> Iterator[None]:
        """Hold one slot for the body; raises ``LLMBusy`` when the wait would be too long."""
        self._enter(learner, on_wait)
        start = self._clock()
        try:
            yield
        finally:
            self._leave(self._clock() - start)

    def info(self, ticket: _Ticket) -> QueueInfo:
        position = self._order().index(ticket)
        return QueueInfo(position, round((position + 1) * self.typical_s / self.capacity, 1))

    def turned_away(self) -> LLMBusy | None:
        """The "busy" a newcomer would get now, before any work is spent on its question."""
        with self._cond:
            if self._active < self.capacity and not self._waiting:
                return None
            ahead = sum(len(q) for q in self._waiting.values())
        info = QueueInfo(ahead, round((ahead + 1) * self.typical_s / self.capacity, 1))
        return _busy(info) if info.estimate_s > self.max_wait_s else None

    @property
    def waiting(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._waiting.values())

    # -- inside ------------------------------------------------------------------------------
    def _enter(self, learner: Hashable | None, on_wait: Callable[[QueueInfo], None] | None) -> None:
        with self._cond:
            if self._active < self.capacity and not self._waiting:
                self._active += 1
                return
            ticket = _Ticket(learner if learner is not None else object(), since=self._clock())
            self._waiting.setdefault(ticket.key, deque()).append(ticket)
        try:
            self._wait_turn(ticket, on_wait)
        except BaseException:
            self._drop(ticket)
            raise

    def _wait_turn(self, ticket: _Ticket, on_wait: Callable[[QueueInfo], None] | None) -> None:
        told = None
        while True:
            with self._cond:
                if ticket.admitted:
                    return
                now = self._clock() - ticket.since
                info = self.info(ticket)
                if info.estimate_s > self.max_wait_s or now >= self.max_wait_s:
                    raise _busy(info)
            if on_wait is not None and info != told:  # outside the lock: a slow callback blocks nobody
                on_wait(info)
                told = info
            with self._cond:
                if not ticket.admitted:
                    self._cond.wait(timeout=min(1.0, max(self.max_wait_s - now, 0.01)))

    def _leave(self, held_s: float) -> None:
        with self._cond:
            self._active -= 1
            self.typical_s = 0.8 * self.typical_s + 0.2 * held_s
            self._admit()
            self._cond.notify_all()

    def _admit(self) -> None:
        while self._active < self.capacity and self._waiting:
            key = next(iter(self._waiting))
            queue = self._waiting.pop(key)
            queue.popleft().admitted = True
            self._active += 1
            if queue:  # this learner has more: to the back of the round
                self._waiting[key] = queue

    def _drop(self, ticket: _Ticket) -> None:
        with self._cond:
            if ticket.admitted:  # admitted between the busy verdict and here: hand the slot on
                self._active -= 1
                self._admit()
                self._cond.notify_all()
                return
            queue = self._waiting.get(ticket.key)
            if queue is not None and ticket in queue:
                queue.remove(ticket)
                if not queue:
                    del self._waiting[ticket.key]
                self._cond.notify_all()

    def _order(self) -> list[_Ticket]:
        """Waiting tickets in the order they will be admitted (round-robin over learners)."""
        queues = [list(q) for q in self._waiting.values()]
        return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def _busy(info: QueueInfo) -> LLMBusy:
    return LLMBusy(f"the model is busy with other learners (you would be number {info.position + 1} in line, "
                   f"about {info.estimate_s:.0f} s): "
                   "try again in a moment", position=info.position, estimate_s=info.estimate_s)
