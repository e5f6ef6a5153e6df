"""Measuring how many answers the model serves at once, and making it the default of max_concurrency."""

from __future__ import annotations

import threading

from tutorbot.llm import capacity
from tutorbot.llm.capacity import Level
from tutorbot.llm.errors import LLMUnavailable
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


class Silent(Streams):
    """Sends no first token once more than ``most_ok`` streams are open (the watchdog cuts them off)."""

    def __init__(self, most_ok: int):
        super().__init__()
        self.most_ok = most_ok

    def stream(self, messages, *, max_tokens, temperature):
        with self.lock:
            self.active += 1
            over = self.active > self.most_ok
        try:
            if over:
                raise LLMUnavailable("LLM server at http://127.0.0.1:8011/v1 sent no first token within 10s")
            yield from ["x"] * max_tokens
        finally:
            with self.lock:
                self.active -= 1


def test_a_level_whose_streams_are_cut_off_is_past_capacity_and_a_first_level_cut_off_names_the_fix():
    said: list[str] = []
    level = capacity._level(Silent(most_ok=1), 1, tokens=10)
    assert level.concurrency == 1
    try:
        capacity._level(Silent(most_ok=0), 2, tokens=10)
        raise AssertionError("a level whose streams failed was measured")
    except LLMUnavailable:
        pass

    def run_level(client, n, tokens):
        return capacity._level(client, n, tokens) if n == 1 else capacity._level(Silent(most_ok=0), n, tokens)
    assert capacity.measure(Silent(most_ok=1), max_tokens=100, say=said.append, run_level=run_level).concurrency == 1
    try:
        capacity.measure(Silent(most_ok=0), max_tokens=100, say=said.append)
        raise AssertionError("nothing was measured and no error said so")
    except LLMUnavailable as exc:
        assert "tutorbot doctor --capacity" in str(exc)


def test_serving_goes_on_with_a_warning_naming_the_fix_when_the_capacity_cannot_be_measured(tmp_path, capsys):
    from tutorbot.cli.ops import _measure_once

    s = Settings(_env_file=None, data_dir=tmp_path, llm=LLMSettings(base_url="http://127.0.0.1:9/v1"))
    _measure_once(s)  # the server at port 9 answers nothing: serve-llm used to stop vLLM with a traceback
    assert "tutorbot doctor --capacity" in capsys.readouterr().err and capacity.load(s) is None
