"""Durability: the app SIGKILLed in a burst of quiz submissions and plan updates loses nothing it acknowledged.

A child process (this file run as a script) wires the real ``QuizService`` and ``PlanService`` over a
SQLite ``LearnerStore`` with fast fakes (term-overlap retrieval, hash embeddings, an unavailable
``FakeLLM``), then runs a burst per learner: make a quiz, submit each answer, re-plan, sometimes mark a
topic done. It prints ``ACK <kind> <json>`` only after a call has returned, which is what the UI does
before showing feedback. The parent SIGKILLs it mid-burst, reopens the store in-process and checks that
every acknowledged write is there and intact, that no plan or profile is half-written, and that the
database passes its integrity check.

Why this can fail: an acknowledgement must follow the commit. Were a write acknowledged before its
commit (an ACK printed inside the transaction, a write-behind queue, a service that returns before its
last transaction), the kill lands between ACK and COMMIT for the newest acknowledgements, and the row
checks below miss them; a plan written in two steps (row first, JSON later) shows up as a plan that does
not validate; a profile committed apart from its plan shows up as a current plan that does not follow
the stored profile (that window is small: about one kill in fifteen hit it, so such a regression shows
within a few runs, never as a false alarm). SIGKILL cannot test fsync: the OS keeps the dirty pages, so
only power loss would tell ``synchronous=FULL`` from ``OFF``.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel, ValidationError
from test_quiz_service import PROMPTS, FakeRetriever, answer_for

from tutorbot.learner.srs import new_scheduler
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import LearnerProfile, Plan
from tutorbot.plans.service import PlanService
from tutorbot.quiz.models import QuizConfig
from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.service import QuizError, QuizService
from tutorbot.retrieval.embed import HashEmbedder
from tutorbot.store.learner_store import LearnerStore

ROUNDS = 400  # far more than any kill point reaches: a child that finishes was never killed mid-burst
QUESTIONS = 3
CHILD_TIMEOUT_S = 60.0
Ack = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


class KillPoint(BaseModel):
    threads: int
    # armed once every writer thread has acknowledged an answer; then the kill comes...
    after_acks: int | None = None  # ...at this many acknowledgements (or at once, if already past)...
    after_s: float | None = None  # ...or this long after, wherever the burst is


# --- the child: the app under a burst of writes ----------------------------------------------------

@dataclass
class App:
    store: LearnerStore
    quizzes: QuizService
    plans: PlanService
    topics: list[str]


def build_corpus_file(path: Path) -> Path:
    """The real corpus, chunked and with its rule questions built, pickled once for every child."""
    from test_quiz_rules import build_corpus  # chunked without an embedding model

    catalog, cur, chunks = build_corpus()
    rules = RuleBank(catalog, cur, chunks)
    for lang in ("en", "zh"):
        rules.candidates(lang)  # built here once: ~2 s a child otherwise
    path.write_bytes(pickle.dumps((catalog, cur, chunks, rules)))
    return path


def wire(db: str, corpus: Path) -> App:
    catalog, cur, chunks, rules = pickle.loads(corpus.read_bytes())  # our own file, written by the parent
    store = LearnerStore(f"sqlite:///{db}", scrypt_n=2)  # cheap hashes: logins are not under test
    down = FakeLLM(LLMUnavailable("down"))  # rule questions, exact/lexical grading, template plans
    quizzes = QuizService(store, FakeRetriever(chunks), catalog, cur, llm=down, prompts=PROMPTS,
                          embedder=HashEmbedder(), config=QuizConfig(min_similarity=-1.0),
                          scheduler=new_scheduler(fuzz=False), rules=rules)
    return App(store=store, quizzes=quizzes, plans=PlanService(cur, catalog, down, PROMPTS, store),
               topics=list(cur.ids))


def acker() -> Callable[..., None]:
    lock = threading.Lock()

    def ack(kind: str, **fields: Any) -> None:
        with lock:  # one write per line, so lines from several threads never interleave
            sys.stdout.write(f"ACK {kind} {json.dumps(fields, ensure_ascii=False)}\n")
            sys.stdout.flush()
    return ack


def ack_plan(app: App, ack: Callable[..., None], uid: int, profile: LearnerProfile, kind: str = "plan",
             **extra: Any) -> None:
    # the services return the Plan, not its row id; each learner has one writer thread, so the
    # current plan is the one this call saved
    plan_id = app.store.current_plan(uid).id
    ack(kind, user=uid, plan=plan_id, hours=profile.hours_per_week, weeks=profile.weeks, **extra)


def quiz_round(app: App, ack: Callable[..., None], uid: int, i: int, rng: random.Random) -> None:
    try:
        quiz = app.quizzes.make_quiz(uid, app.topics[i % len(app.topics)], n=QUESTIONS, types="mcq,tf", seed=i)
    except QuizError:  # a topic with too few unseen questions: the next one will do
        return
    ack("quiz", user=uid, quiz=quiz.id)
    for q in quiz.questions:
        fb = app.quizzes.submit(uid, quiz.id, q.id, answer_for(q, right=rng.random() < 0.6))
        ack("submit", user=uid, quiz=quiz.id, question=q.id, answer=fb.given, score=fb.score, correct=fb.correct)


def burst(app: App, ack: Callable[..., None], uid: int) -> None:
    """One learner's session: quizzes, answers, re-plans and topic marks, interleaved."""
    rng = random.Random(uid)
    profile = LearnerProfile(hours_per_week=8, weeks=12)
    app.plans.create(uid, profile, guidance=False)
    ack_plan(app, ack, uid, profile)
    marks = iter(reversed(app.topics))  # each topic marked once, so its acknowledged status is final
    for i in range(ROUNDS):
        quiz_round(app, ack, uid, i, rng)
        profile = profile.model_copy(update={"hours_per_week": 4 + i % 30, "weeks": 6 + i % 40})
        app.plans.update(uid, hours_per_week=profile.hours_per_week, weeks=profile.weeks)
        ack_plan(app, ack, uid, profile)
        if i % 3 == 2:
            topic = next(marks)
            app.plans.mark(uid, topic, "done")
            ack_plan(app, ack, uid, profile, kind="mark", topic=topic)


def guarded(work: Callable[[], None]) -> None:
    try:
        work()
    except BaseException as exc:  # a writer failing (e.g. "database is locked") must fail the test, loudly
        sys.stdout.write(f"ERROR {exc!r}\n")
        sys.stdout.flush()
        os._exit(1)


def child_main(db: str, threads: int, corpus: Path) -> None:
    app = wire(db, corpus)
    users = [app.store.add_user(f"learner{i}", "pw-123456").id for i in range(threads)]
    ack = acker()
    print("READY", flush=True)
    workers = [threading.Thread(target=guarded, args=(lambda u=u: burst(app, ack, u),)) for u in users]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


# --- the parent: kill, restart, check --------------------------------------------------------------

def parse(line: str) -> Ack:
    if line.startswith("ERROR"):
        pytest.fail(f"the child's writer failed before the kill: {line.strip()}")
    _, kind, fields = line.split(" ", 2)
    return {"kind": kind, **json.loads(fields)}


def run_and_kill(db: Path, kill: KillPoint, corpus: Path, log: Path) -> list[Ack]:
    """The acknowledgements the child printed before it was SIGKILLed."""
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, __file__, str(db), str(kill.threads), str(corpus)],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    guard = threading.Timer(CHILD_TIMEOUT_S, proc.kill)  # a hung child must not hang the suite
    guard.start()
    try:
        return read_acks(proc, kill)
    finally:
        guard.cancel()
        proc.kill()
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, f"child exited {proc.returncode}:\n{log.read_text()[-3000:]}"


def read_acks(proc: subprocess.Popen[str], kill: KillPoint) -> list[Ack]:
    """Every acknowledgement up to the kill. The kill point is armed once every writer has
    acknowledged an answer, so a slow (loaded) machine moves the kill, never fails the test."""
    ready = proc.stdout.readline()
    assert ready == "READY\n", f"child did not start: {ready!r}"
    acks: list[Ack] = []
    going: set[int] = set()
    armed = False
    for line in proc.stdout:  # keeps reading after the kill: everything printed was acknowledged
        if not line.endswith("\n"):
            break  # cut off by the kill mid-line: never a complete acknowledgement
        acks.append(parse(line))
        if acks[-1]["kind"] == "submit":
            going.add(acks[-1]["user"])
        if not armed and len(going) == kill.threads:
            armed = True
            if kill.after_s is not None:
                threading.Timer(kill.after_s, proc.kill).start()
        if armed and kill.after_acks is not None and len(acks) >= kill.after_acks:
            proc.kill()  # again for lines already buffered: harmless
    return acks


def check_submissions(store: LearnerStore, acks: list[Ack]) -> None:
    for a in (a for a in acks if a["kind"] == "quiz"):
        assert store.get_quiz(a["user"], a["quiz"]) is not None, f"acknowledged quiz lost: {a}"
    subs = [a for a in acks if a["kind"] == "submit"]
    for uid in {a["user"] for a in subs}:
        stored = Counter((x.quiz_id, x.question_id, x.answer, x.score, x.correct) for x in store.attempts(uid))
        assert max(stored.values(), default=1) == 1, f"a question answered twice: {stored.most_common(1)}"
        reviews = Counter(r.card_id for r in store.review_log(uid))
        cards = {c.question_id: c for c in store.cards(uid)}
        mine = [a for a in subs if a["user"] == uid]
        for a in mine:
            assert (a["quiz"], a["question"], a["answer"], a["score"], a["correct"]) in stored, f"lost: {a}"
            card = cards.get(a["question"])
            assert card is not None and card.last_review is not None, f"acknowledged answer has no card: {a}"
        answered = Counter(x.question_id for x in store.attempts(uid))
        for qid, n in Counter(a["question"] for a in mine).items():
            assert reviews[cards[qid].id] >= n, f"question {qid}: {n} acknowledged answers, fewer reviews"
        # the service writes card, review, attempt in that order: one writer per learner leaves at
        # most one review without its attempt (the answer in flight), never an attempt without a review
        unlogged = {c.question_id: reviews[c.id] - answered[c.question_id] for c in cards.values()}
        assert min(unlogged.values()) >= 0 and sum(unlogged.values()) <= 1, f"reviews vs attempts: {unlogged}"


def check_plans(store: LearnerStore, acks: list[Ack]) -> None:
    for a in (a for a in acks if a["kind"] in ("plan", "mark")):
        plan = Plan.model_validate(store.get_plan(a["user"], a["plan"]).data)
        assert (plan.hours_per_week, plan.weeks_requested) == (a["hours"], a["weeks"]), f"plan changed: {a}"
        if a["kind"] == "mark":
            assert store.topic_status(a["user"]).get(a["topic"]) == "done", f"acknowledged mark lost: {a}"
    for user in store.list_users():  # committed but unacknowledged writes must be whole too
        plans = [whole(Plan, rec.data, f"plan {rec.id}") for rec in store.plan_history(user.id)]
        if (data := store.get_profile(user.id)) is not None:
            profile = whole(LearnerProfile, data, f"profile of user {user.id}")
            # plans are saved with their profile in one transaction: the current plan follows the profile
            current = (plans[0].hours_per_week, plans[0].weeks_requested) if plans else None
            assert current == (profile.hours_per_week, profile.weeks), \
                f"user {user.id}: the profile changed but its plan ({current}) was not saved"


def whole(model: type[M], data: dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        pytest.fail(f"{what} is half-written: {exc}")


def check_recovered(db: Path, acks: list[Ack]) -> None:
    with LearnerStore(f"sqlite:///{db}") as store:
        assert store.integrity_check(), sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall()
        check_submissions(store, acks)
        check_plans(store, acks)
        uid = acks[0]["user"]
        store.save_profile(uid, LearnerProfile().model_dump(mode="json"))  # and it takes writes again
        assert store.integrity_check()


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus_file(tmp_path_factory.mktemp("corpus") / "corpus.pickle")


@pytest.mark.parametrize("kill", [
    KillPoint(threads=1, after_acks=4),  # in the first quiz, right after the first plan
    KillPoint(threads=1, after_acks=60),
    KillPoint(threads=1, after_s=0.5),  # wherever the burst is half a second after it got going
    KillPoint(threads=4, after_acks=90),  # four learners writing at once, as the UI's worker threads do
    KillPoint(threads=4, after_s=0.7),
], ids=["1-thread-4-acks", "1-thread-60-acks", "1-thread-0.5s", "4-threads-90-acks", "4-threads-0.7s"])
def test_sigkill_mid_burst_keeps_every_acknowledged_write(tmp_path: Path, corpus_file: Path,
                                                          kill: KillPoint) -> None:
    db = tmp_path / "learners.sqlite3"
    acks = run_and_kill(db, kill, corpus_file, tmp_path / "child.log")
    assert sum(a["kind"] == "submit" for a in acks) >= 2, f"killed before the burst got going: {acks}"
    if kill.threads > 1:
        assert len({a["user"] for a in acks}) == kill.threads, "not every writer thread was acknowledged"
    check_recovered(db, acks)


if __name__ == "__main__":
    child_main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
