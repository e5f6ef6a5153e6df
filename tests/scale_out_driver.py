"""Learner stage, driven from a process of its own for tests/test_scale_out.py: one quiz answer written, or a
learner's answers read back, through the real composition root configured by TUTORBOT_* as the app is.

    python tests/scale_out_driver.py answer NAME TOPIC   # a one-question true/false quiz, answered "true"
    python tests/scale_out_driver.py read NAME           # the learner's attempts, cards and mastered topics

Prints one JSON object. A script, not a test module: the test runs it as a separate OS process.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def learner(c: Any, name: str) -> int:
    found = [u.id for u in c.store.list_users() if u.name == name]
    if not found:  # an instance on a learner DB of its own would end here: say which one it read
        raise SystemExit(f"no learner {name!r} in {c.store.where}")
    return found[0]


def answer(c: Any, name: str, topic: str) -> dict[str, Any]:
    uid = learner(c, name)
    quiz = c.quizzes.make_quiz(uid, topic, n=1, types="tf", language="en")
    q = quiz.questions[0]
    fb = c.quizzes.submit(uid, quiz.id, q.id, "true")
    return {"quiz_id": quiz.id, "question_id": q.id, "answer": fb.given, "score": fb.score}


def read(c: Any, name: str) -> dict[str, Any]:
    uid = learner(c, name)
    attempts = [{"quiz_id": a.quiz_id, "question_id": a.question_id, "answer": a.answer, "score": a.score}
                for a in c.store.attempts(uid)]
    return {"attempts": attempts, "cards": [card.question_id for card in c.store.cards(uid)],
            "mastery": sorted(c.progress.mastery(uid))}


def main(argv: list[str]) -> None:
    from tutorbot.container import Container
    from tutorbot.settings import load_settings

    c = Container(load_settings())
    result = answer(c, *argv[1:3]) if argv[0] == "answer" else read(c, argv[1])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
