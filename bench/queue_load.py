"""Many learners at once through tutorbot's LLM client: the fair queue against a too-wide gate.

Each simulated learner asks, waits for the whole answer, and asks again, until the run's time is up
(bounded in time and count, loopback only). Per request it records whether the answer came, how long
it took, and, for a learner told "busy", how fast and with what estimate. Run on its own:

    .venvs/app/bin/python bench/queue_load.py --base-url http://127.0.0.1:8011/v1 --learners 20 --seconds 60

or as the `queue` section of `bench/run.py`. Reference figures, not assertions.
"""

from __future__ import annotations

import argparse
import threading
import time

from common import Counts, Section, Table, median, pct
from context import BenchContext
from pydantic import BaseModel

from tutorbot.llm.client import LLMBusy, LLMError, OpenAICompatClient
from tutorbot.settings import LLMSettings

QUESTION = "Explain in a few sentences what self-attention computes in a transformer. ({})"


class Outcome(BaseModel):
    kind: str  # "answer" | "busy" | "error"
    seconds: float
    estimate_s: float = 0.0


def learner(client: OpenAICompatClient, who: int, until: float, max_requests: int, out: list[Outcome]) -> None:
    for i in range(max_requests):
        if time.monotonic() >= until:
            return
        start = time.monotonic()
        try:
            for _ in client.stream([{"role": "user", "content": QUESTION.format(f"{who}.{i}")}], learner=who):
                pass
            out.append(Outcome(kind="answer", seconds=time.monotonic() - start))
        except LLMBusy as exc:
            out.append(Outcome(kind="busy", seconds=time.monotonic() - start, estimate_s=exc.estimate_s))
            time.sleep(min(exc.estimate_s, 10))  # a learner reads the estimate and tries again later
        except LLMError:
            out.append(Outcome(kind="error", seconds=time.monotonic() - start))


def load(settings: LLMSettings, learners: int, seconds: float, max_requests: int = 20) -> tuple[list[Outcome], float]:
    client, out = OpenAICompatClient(settings), []
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=learner, args=(client, w, until, max_requests, out), daemon=True)
               for w in range(learners)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + settings.request_timeout_s + settings.max_queue_wait_s + 30)
    client.close()
    return out, time.monotonic() - start


def row(table: Table, label: str, outcomes: list[Outcome], wall: float, seconds: float) -> None:
    answers = [o.seconds for o in outcomes if o.kind == "answer"]
    busy = [o for o in outcomes if o.kind == "busy"]
    table.add(label, len(answers), sum(o.kind == "error" for o in outcomes), len(busy),
              median(answers) if answers else "-", pct(answers, 95) if answers else "-",
              pct([b.seconds for b in busy], 95) if busy else "-",
              median([b.estimate_s for b in busy]) if busy else "-", round(wall, 1))


def compare(base: LLMSettings, learners: int, seconds: float, widths: tuple[int, ...]) -> Table:
    table = Table(title=f"{learners} learners asking for {seconds:g} s (answers of {base.max_tokens} tokens)",
                  columns=["gate", "answers", "errors", "told busy", "answer p50 s", "answer p95 s",
                           "busy after p95 s", "busy estimate p50 s", "wall s"])
    for width in widths:
        settings = base.model_copy(update={"max_concurrency": width})
        outcomes, wall = load(settings, learners, seconds)
        row(table, f"{width} at once", outcomes, wall, seconds)
        print(table.markdown(), flush=True)
    return table


def run(ctx: BenchContext, counts: Counts) -> Section:
    ctx.llm_ready()
    s = ctx.settings("roadmaps").llm.model_copy(update={"max_tokens": 128})
    table = compare(s, counts.queue_learners, counts.queue_seconds, (4, 8, 16))
    return Section(name="queue", title="Many learners at once: fair queue vs a wide gate", tables=[table],
                   notes=["16 at once was the old default; 8 is the default now when nothing was measured "
                          "(`tutorbot doctor --capacity`)."])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8011/v1")
    p.add_argument("--model", default="smollm2-135m-instruct")
    p.add_argument("--learners", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--gates", default="4,8,16", help="comma-separated max_concurrency values to compare")
    args = p.parse_args()
    base = LLMSettings(base_url=args.base_url, model=args.model, max_tokens=args.max_tokens)
    compare(base, args.learners, args.seconds, tuple(int(g) for g in args.gates.split(",")))


if __name__ == "__main__":
    main()
