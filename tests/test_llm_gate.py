"""The fair queue in front of the model: capacity, round-robin over learners, place and estimate,
a fast "busy" when the wait would be too long, and no slot lost when a caller gives up."""

from __future__ import annotations

import threading
import time

import pytest

from tutorbot.llm.errors import LLMBusy
from tutorbot.llm.gate import FairGate, QueueInfo


class Holder:
    """Takes a slot on a thread and keeps it until ``release``; records when it got in."""

    def __init__(self, gate: FairGate, learner, log: list, on_wait=None):
        self.release, self.error = threading.Event(), None
        self.entered = threading.Event()
        self.learner = learner

        def run():
            try:
                with gate.slot(learner, on_wait):
                    log.append(learner)
                    self.entered.set()
                    self.release.wait(10)
            except LLMBusy as exc:
                self.error = exc
                self.entered.set()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()


def wait_until(cond, timeout=5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_no_more_than_capacity_hold_a_slot_and_the_next_gets_in_when_one_leaves():
    gate, log = FairGate(capacity=2, max_wait_s=10, typical_s=1), []
    a, b, c = (Holder(gate, n, log) for n in "abc")
    wait_until(lambda: len(log) == 2 and gate.waiting == 1)
    first = a if "a" in log else b
    first.release.set()
    wait_until(lambda: log[-1] == "c")
    for h in (a, b, c):
        h.release.set()


def test_a_learner_with_many_requests_does_not_push_the_others_back():
    gate, log = FairGate(capacity=1, max_wait_s=10, typical_s=1), []
    blocker = Holder(gate, "x", log)
    wait_until(lambda: log == ["x"])
    holders = []
    for learner in ["a", "a", "a", "b"]:  # a queues three, then b one
        holders.append(Holder(gate, learner, log))
        wait_until(lambda n=len(holders): gate.waiting == n)
    blocker.release.set()
    for _ in holders:  # let each admitted request finish, one at a time
        wait_until(lambda: any(h.entered.is_set() and not h.release.is_set() for h in holders))
        next(h for h in holders if h.entered.is_set() and not h.release.is_set()).release.set()
    wait_until(lambda: len(log) == 5)
    assert log == ["x", "a", "b", "a", "a"]  # b went second, not fourth


def test_a_waiting_learner_hears_their_place_and_an_estimate():
    gate, log, heard = FairGate(capacity=1, max_wait_s=30, typical_s=4.0), [], []
    first = Holder(gate, "a", log)
    wait_until(lambda: log == ["a"])
    second = Holder(gate, "b", log, on_wait=heard.append)
    third = Holder(gate, "c", log, on_wait=heard.append)
    wait_until(lambda: len(heard) >= 2)
    assert QueueInfo(0, 4.0) in heard and QueueInfo(1, 8.0) in heard
    for h in (first, second, third):
        h.release.set()


def test_an_estimate_beyond_the_longest_wait_is_busy_at_once_with_the_numbers():
    gate, log = FairGate(capacity=1, max_wait_s=5, typical_s=4.0), []
    holders = [Holder(gate, n, log) for n in ("a", "b")]
    wait_until(lambda: gate.waiting == 1)
    t = time.monotonic()
    with pytest.raises(LLMBusy, match="number 2 in line, about 8 s") as err:
        with gate.slot("c"):
            pass
    assert time.monotonic() - t < 2 and (err.value.position, err.value.estimate_s) == (1, 8.0)  # not after 5 s
    for h in holders:
        h.release.set()


def test_a_wait_that_outlasts_the_longest_wait_is_busy_and_frees_its_place():
    gate, log = FairGate(capacity=1, max_wait_s=0.3, typical_s=0.1), []
    holder = Holder(gate, "a", log)
    wait_until(lambda: log == ["a"])
    with pytest.raises(LLMBusy):
        with gate.slot("b"):
            pass
    assert gate.waiting == 0
    holder.release.set()
    wait_until(lambda: not holder.thread.is_alive())
    with gate.slot("c"):  # the slot came back
        pass


def test_a_slot_is_returned_when_the_body_raises():
    gate = FairGate(capacity=1, max_wait_s=0.2)
    with pytest.raises(ValueError):
        with gate.slot("a"):
            raise ValueError("boom")
    with gate.slot("b"):
        pass
