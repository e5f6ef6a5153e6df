"""Measuring how many answers the model serves at once, and making it the default of max_concurrency."""

from __future__ import annotations

import threading

from tutorbot.llm import capacity
from tutorbot.llm.capacity import Level
from tutorbot.settings import LLMSettings, Settings


class Streams:
    """Answers ``tokens`` deltas at once, counting how many streams ran together at the most."""

    model = "m"

    def __init__(self):
        self.settings = LLMSettings(model="m")
        self.active = self.most = 0
        self.lock = threading.Lock()
        self.all_in = threading.Barrier(4)

    def stream(self, messages, *, max_tokens, temperature):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        self.all_in.wait(5)  # all four streams are open together
        yield from ["x"] * max_tokens
        with self.lock:
            self.active -= 1


def measured(levels: dict[int, tuple[float, float]]):
    """A level runner reporting (slowest stream tokens/s, all streams tokens/s) per concurrency."""
    def run_level(client, n, tokens):
        slowest, total = levels[n]
        return Level(concurrency=n, slowest_tokens_per_s=slowest, total_tokens_per_s=total, slowest_first_token_s=0.5)
    return run_level


def test_the_largest_level_where_every_stream_reads_fast_enough_and_adds_throughput_is_kept():
    cpu = {1: (30, 30), 2: (28, 56), 4: (22, 88), 8: (15, 120), 16: (9, 144), 32: (5, 160)}
    said: list[str] = []
    cap = capacity.measure(Streams(), max_tokens=100, min_tokens_per_s=10, say=said.append, run_level=measured(cpu))
    assert cap.concurrency == 8 and cap.answer_s == round(0.5 + 100 / 15, 1)
    assert len(said) == 5  # 16 was tried and read below 10 tokens/s; 32 was not tried
    flat = {1: (30, 30), 2: (29, 58), 4: (28, 60), 8: (20, 62)}  # past 2, more streams add nothing
    assert capacity.measure(Streams(), max_tokens=100, say=said.append, run_level=measured(flat)).concurrency == 2


def test_a_level_runs_its_streams_at_the_same_time_and_counts_their_tokens():
    client = Streams()
    level = capacity._level(client, 4, tokens=10)
    assert client.most == 4 and level.concurrency == 4 and level.total_tokens_per_s > 0


def test_the_measurement_is_the_default_unless_the_setting_is_given(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    cap = capacity.Capacity(model=s.llm.model, base_url=s.llm.base_url, concurrency=9, answer_s=12.5, levels=[])
    assert capacity.apply_measured(s) == 20.0 and s.llm.max_concurrency == 8  # nothing measured yet
    capacity.save(s, cap)
    assert capacity.apply_measured(s) == 12.5 and s.llm.max_concurrency == 9
    assert "max_concurrency" not in s.llm.model_fields_set  # still a default, so a new measurement applies
    given = Settings(_env_file=None, data_dir=tmp_path, llm={"max_concurrency": 2})
    capacity.apply_measured(given)
    assert given.llm.max_concurrency == 2
    other = Settings(_env_file=None, data_dir=tmp_path, llm={"model": "another-model"})
    assert capacity.load(other) is None  # measured for a different model: not used
