"""LLM stage, capacity: how many requests the served model takes at once — measured, not guessed.

``measure`` streams answers at 1, 2, 4, 8… requests at once and keeps the largest level at which
every stream still reads at ``min_tokens_per_s`` and the level still adds throughput (10 % over the
one before: past that, more streams only make each answer slower). `tutorbot doctor --capacity`
and `tutorbot serve-llm` (once per model) save the result in ``settings.paths.llm_capacity``;
``apply_measured`` makes it the default of ``max_concurrency`` (unless the setting is given) and
seeds the queue's wait estimates with the measured time of one answer.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable

from pydantic import BaseModel, ValidationError

from tutorbot.files import write_atomic
from tutorbot.llm.errors import LLMError, LLMUnavailable
from tutorbot.settings import Settings

LEVELS = (1, 2, 4, 8, 16, 32)
# About the size of a chat prompt (five retrieved passages, the question), different for every stream
# so that the server's prefix cache does not make the load lighter than learners make it.
CONTEXT = " ".join(["A transformer layer mixes information across tokens with self-attention, then"
                    " transforms each token with a feed-forward network."] * 40)


class Level(BaseModel):
    concurrency: int
    slowest_tokens_per_s: float  # the slowest stream's decode rate
    total_tokens_per_s: float
    slowest_first_token_s: float


class Capacity(BaseModel):
    model: str
    base_url: str
    concurrency: int
    answer_s: float  # one answer of max_tokens at that concurrency, first token included
    levels: list[Level]


def measure(client, max_tokens: int, tokens: int = 64, min_tokens_per_s: float = 10.0,
            levels: tuple[int, ...] = LEVELS, say: Callable[[str], None] = print,
            run_level: Callable[[object, int, int], Level] | None = None) -> Capacity:
    """``client`` must not queue (give it a gate wider than the largest level)."""
    kept: list[Level] = []
    for n in levels:
        try:
            level = (run_level or _level)(client, n, tokens)
        except LLMError as exc:  # a stream cut off by the watchdog: this level is past what the server takes
            if not kept:
                raise LLMUnavailable(f"capacity not measured ({exc}); once the server answers, measure it "
                                     "with `tutorbot doctor --capacity`") from exc
            break
        say(f"  {n:>2} at once: slowest stream {level.slowest_tokens_per_s:.1f} tokens/s, "
            f"all {level.total_tokens_per_s:.1f} tokens/s, first token ≤ {level.slowest_first_token_s:.1f} s")
        if kept and (level.slowest_tokens_per_s < min_tokens_per_s
                     or level.total_tokens_per_s < 1.1 * kept[-1].total_tokens_per_s):
            break
        kept.append(level)
    best = kept[-1]
    answer_s = best.slowest_first_token_s + max_tokens / max(best.slowest_tokens_per_s, 0.1)
    return Capacity(model=client.model, base_url=client.settings.base_url, concurrency=best.concurrency,
                    answer_s=round(answer_s, 1), levels=kept)


def _level(client, n: int, tokens: int) -> Level:
    """``n`` streams at once; the first error of a stream that failed is raised (``LLMError``)."""
    runs: list[tuple[float, int, float]] = []
    failed: list[LLMError] = []
    threads = [threading.Thread(target=_run, args=(client, tokens, runs, failed), daemon=True) for _ in range(n)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    wall = time.monotonic() - start
    rates = [(count - 1) / max(end - first, 1e-3) for first, count, end in runs]
    return Level(concurrency=n, slowest_tokens_per_s=round(min(rates), 1),
                 total_tokens_per_s=round(sum(c for _, c, _ in runs) / wall, 1),
                 slowest_first_token_s=round(max(f for f, _, _ in runs), 2))


def _run(client, tokens: int, runs: list, failed: list) -> None:
    try:
        runs.append(_one(client, tokens))
    except LLMError as exc:
        failed.append(exc)


def _one(client, tokens: int) -> tuple[float, int, float]:
    """(first token after s, deltas, end after s) of one streamed answer, relative to its start."""
    prompt = [{"role": "user", "content": f"[{random.random()}] {CONTEXT}\nExplain this at length, step by step."}]
    start, first, count = time.monotonic(), None, 0
    for _ in client.stream(prompt, max_tokens=tokens, temperature=0.0):
        first = first if first is not None else time.monotonic() - start
        count += 1
    return first or 0.0, max(count, 2), time.monotonic() - start


def save(settings: Settings, capacity: Capacity) -> None:
    write_atomic(settings.paths.llm_capacity, capacity.model_dump_json(indent=2))


def load(settings: Settings) -> Capacity | None:
    """The saved measurement, if it was made for the model and server configured now."""
    try:
        cap = Capacity.model_validate(json.loads(settings.paths.llm_capacity.read_text()))
    except (OSError, ValueError, ValidationError):
        return None
    return cap if (cap.model, cap.base_url) == (settings.llm.model, settings.llm.base_url) else None


def apply_measured(settings: Settings) -> float:
    """Make the measured concurrency the default of ``max_concurrency`` (a given setting wins);
    returns the expected seconds of one answer, for the queue's wait estimates."""
    cap = load(settings)
    if cap is None:
        return 20.0  # the bundled model's answer on two CPU cores, about
    if "max_concurrency" not in settings.llm.model_fields_set:
        settings.llm.max_concurrency = cap.concurrency
        settings.llm.model_fields_set.discard("max_concurrency")  # still a default: a measured one
    return cap.answer_s
