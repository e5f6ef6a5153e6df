"""Benchmark 6 — structured output: schema-valid rate and the cost of constrained decoding.

Stage measured: the three places tutorbot asks vLLM for JSON-schema output — plan guidance
(``plan_writer.write_guidance``), a quiz question (``quiz.writer.ModelWriter.write``) and profile
extraction (``profile.refine_profile``) — each driven through its real code path with varied
inputs (temperature is 0 there, so repeating one input would repeat one answer). A ``TapLLM``
records every ``structured`` call; each input's prompt (caught by a dry run) is also sent without
the schema (same ``max_tokens``, temperature 0) to price the constraint, per call and per token.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from common import Counts, Section, Table, median, ratio
from context import BenchContext
from pydantic import BaseModel, Field

from tutorbot.container import Container
from tutorbot.curriculum.models import Goal
from tutorbot.llm.client import Completion, LLMError, LLMUnavailable, Messages, OpenAICompatClient
from tutorbot.plans.guidance import write_guidance
from tutorbot.plans.models import LearnerProfile
from tutorbot.plans.planner import make_plan
from tutorbot.plans.profile import parse_profile
from tutorbot.plans.refine import refine_profile
from tutorbot.plans.truth import plan_vocabulary
from tutorbot.quiz.models import QuizConfig
from tutorbot.quiz.writer import Malformed, ModelWriter, usable_passages

LEARNERS = [
    "I know Python and PyTorch, 10 hours a week for 3 months, I want to understand how LLMs work.",
    "我会用 PyTorch，懂 Transformer，每周 6 小时，想在两个月内学会微调和部署大模型。",
    "Beginner, never trained a network. I prefer videos. Want to do research on alignment; 2 hours a day.",
    "熟悉扩散模型的基础，想深入学习 DDPM 和文生图，每天一小时，半年时间，喜欢看论文和代码。",
    "I've built CUDA kernels before and want to learn LLM inference serving (vLLM), 12h/week, 8 weeks.",
    "学过线性代数和概率论，还没接触过深度学习，想从零实现一个 GPT，每周十小时。",
]


class Call(BaseModel):
    kind: str
    schema_name: str
    messages: Messages
    max_tokens: int | None
    seconds: float
    tokens: int
    valid: bool
    error: str = ""
    cold: bool = Field(False, description="The first call with this schema (vLLM compiles its grammar).")


class UsageTap:
    """The client's ``on_completion`` hook: keeps the tokens of each thread's last non-streamed completion."""

    def __init__(self) -> None:
        self.usage: dict[int, int] = {}

    def __call__(self, completion: Completion) -> None:
        self.usage[threading.get_ident()] = completion.tokens

    def completion_tokens(self) -> int:
        return self.usage.get(threading.get_ident(), 0)


class TapLLM:
    """An ``LLMClient`` that forwards to the real client and records each structured call."""

    def __init__(self, client: OpenAICompatClient, tap: UsageTap, calls: list[Call], kind: str):
        self.client, self.tap, self.model, self.calls, self.kind = client, tap, client.model, calls, kind

    def structured(self, messages, schema, *, max_tokens=None):
        start, error = time.perf_counter(), ""
        try:
            return self.client.structured(messages, schema, max_tokens=max_tokens)
        except LLMError as exc:  # invalid output, or a timeout under load: either way no object
            error = str(exc)
            raise
        finally:
            self.calls.append(Call(kind=self.kind, schema_name=schema.__name__, messages=messages,
                                   max_tokens=max_tokens, seconds=time.perf_counter() - start,
                                   tokens=self.tap.completion_tokens(), valid=not error, error=error,
                                   cold=not any(c.kind == self.kind for c in self.calls)))

    def complete(self, messages, **kw):
        return self.client.complete(messages, **kw)

    def stream(self, messages, **kw):
        return self.client.stream(messages, **kw)

    def status(self):
        return self.client.status()


Job = Callable[[TapLLM], object]


def jobs(c: Container, n: int) -> dict[str, list[Job]]:
    """Per output kind, ``n`` calls of its real code path, each on a different input."""
    cur = c.curriculum
    profiles = [LearnerProfile(goal=list(Goal)[i % len(Goal)], hours_per_week=6 + 2 * i, weeks=8 + 2 * i,
                               language="zh" if i % 2 else "en", area="alignment" if i % len(Goal) == 2 else None)
                for i in range(n)]
    texts = (LEARNERS * n)[:n]
    return {
        "plan guidance": [lambda llm, p=p: guidance(llm, c, p) for p in profiles],
        "quiz question": [lambda llm, a=a: quiz_question(llm, c, *a) for a in quiz_inputs(c, n)],
        "profile extraction": [lambda llm, t=t: refine_profile(parse_profile(t, cur), t, llm, cur, c.prompts)
                               for t in texts],
    }


def guidance(llm: TapLLM, c: Container, profile: LearnerProfile) -> object:
    plan = make_plan(profile, c.curriculum, c.catalog)
    return write_guidance(plan, profile, llm, c.prompts, plan_vocabulary(plan, c.curriculum, c.catalog))


def quiz_inputs(c: Container, n: int) -> list[tuple]:
    """(type, passage, topic, language) for ``n`` different topics, cycling mcq/blank/short."""
    out = []
    for topic in random.Random(7).sample(c.curriculum.topics, k=len(c.curriculum.topics)):
        passages = usable_passages([h.chunk for h in c.retriever.search(topic.name.en, k=8)])
        if passages:
            i = len(out)
            out.append((("mcq", "blank", "short")[i % 3], passages[0], topic, "zh" if i % 2 else "en"))
        if len(out) == n:
            break
    return out


def quiz_question(llm: TapLLM, c: Container, qtype, chunk, topic, lang) -> None:
    try:
        ModelWriter(llm, c.prompts, QuizConfig()).write(qtype, chunk, topic, lang, random.Random(1))
    except (LLMError, Malformed):
        pass  # the tap has recorded whether the schema-constrained output was valid


def parallel(calls: list[Callable[[], object]]) -> list:
    if not calls:
        return []
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda f: f(), calls))


class PromptCatcher:
    """A dry-run ``LLMClient``: notes the structured request, then refuses it like a down server."""

    model = "dry-run"

    def __init__(self) -> None:
        self.seen: list[tuple[Messages, int | None]] = []

    def structured(self, messages, schema, *, max_tokens=None):
        self.seen.append((messages, max_tokens))
        raise LLMUnavailable("dry run")  # every code path falls back without retrying on this


def prompt_of(job: Job) -> tuple[Messages, int | None]:
    catcher = PromptCatcher()
    job(catcher)
    return catcher.seen[0]


def unconstrained(client: OpenAICompatClient, tap: UsageTap, messages: Messages,
                  max_tokens: int | None) -> tuple[float, int]:
    start = time.perf_counter()
    client.complete(messages, max_tokens=max_tokens, temperature=0.0)
    return time.perf_counter() - start, tap.completion_tokens()


def measure(kind: str, kind_jobs: list[Job], llm: TapLLM, client: OpenAICompatClient,
            tap: UsageTap) -> list[tuple[float, int]]:
    """First call alone (vLLM compiles the schema's grammar then); then the other inputs' real calls and
    unconstrained replays of every input's prompt in one concurrent batch, so both see the same load."""
    prompts = [prompt_of(job) for job in kind_jobs]
    llm.kind = kind
    kind_jobs[0](llm)
    batch = [lambda j=j: j(llm) for j in kind_jobs[1:]]
    batch += [lambda p=p: unconstrained(client, tap, *p) for p in prompts]
    return parallel(batch)[len(kind_jobs) - 1:]


def run(ctx: BenchContext, counts: Counts) -> Section:
    ctx.llm_ready()
    tap = UsageTap()
    # A wide gate: the bench measures the server under this load, not tutorbot's queue in front of it.
    client = OpenAICompatClient(ctx.settings("roadmaps", llm={"request_timeout_s": 900, "max_concurrency": 64,
                                                              "max_queue_wait_s": 600}).llm, on_completion=tap)
    llm = TapLLM(client, tap, [], "")
    c = Container(ctx.roadmaps.settings, llm=llm, embedder=ctx.roadmaps.embedder)
    free = {kind: measure(kind, kind_jobs, llm, client, tap)
            for kind, kind_jobs in jobs(c, counts.structured_tries).items()}
    client.close()
    return section(llm.calls, free)


def section(calls: list[Call], free: dict[str, list[tuple[float, int]]]) -> Section:
    t = Table(title="Structured output vs the same prompt unconstrained (temperature 0)",
              columns=["output", "calls", "schema-valid", "truncated", "first call s", "later p50 s",
                       "free p50 s", "time ratio", "tokens p50 (schema / free)", "ms/token schema",
                       "ms/token free"])
    notes = []
    for kind, theirs in free.items():
        mine = [c for c in calls if c.kind == kind]
        later = [c.seconds for c in mine if not c.cold] or [c.seconds for c in mine]
        free_s = median([s for s, _ in theirs])
        t.add(kind, len(mine), f"{sum(c.valid for c in mine)}/{len(mine)}",
              sum("truncated" in c.error for c in mine), mine[0].seconds, median(later), free_s,
              ratio(median(later), free_s),
              f"{median([c.tokens for c in mine]):.0f} / {median([n for _, n in theirs]):.0f}",
              median([1000 * c.seconds / c.tokens for c in mine if c.tokens]),
              median([1000 * s / n for s, n in theirs if n]))
        notes += list(dict.fromkeys(f"{kind}: {c.error}" for c in mine if c.error))[:2]
    repeats = len(calls) - len({json.dumps(c.messages, ensure_ascii=False) for c in calls})
    if repeats:
        notes.append(f"{repeats} call(s) were retries that resent an identical prompt at temperature 0, "
                     "so they could only repeat the first answer.")
    notes.append("'first call' runs alone and includes vLLM compiling the schema's grammar; the other structured "
                 "calls ('later') and unconstrained replays of every input ('free') run together in one batch, so "
                 "they share the same load. Time ratio = later p50 / free p50; the free runs usually go on to "
                 "max_tokens, so compare ms/token where the token counts are close. Tokens from vLLM's usage.")
    return Section(name="structured", title="6. Structured output", tables=[t], notes=notes)
