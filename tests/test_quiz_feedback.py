"""quiz.feedback: the model's grading comment passes the truth gate against the question's passage, or is dropped."""

from __future__ import annotations

import pytest

from tutorbot.quiz.feedback import checked_comment

PASSAGE = ("KV cache reduces end-to-end latency by storing the keys and values of previously generated tokens. "
           "Multi-query attention shares one set of keys and values across all heads.")


@pytest.mark.parametrize("comment", [
    "You named the stored keys and values; say also that it reduces latency.",
    "Right: the cache keeps keys and values of earlier tokens.",
])
def test_a_comment_about_the_passage_is_shown(comment):
    assert checked_comment(comment, PASSAGE) == comment


@pytest.mark.parametrize("comment,why", [
    ("KV cache was introduced in GPT-4 by OpenAI in 2019.", "invents names and a year"),
    ("Good answer. Good answer. Good answer. Good answer.", "a loop"),
    ("Bananas are yellow and grow on trees.", "not about the passage"),
    ("", "empty"),
])
def test_a_comment_that_fails_the_gate_is_dropped(comment, why):
    assert checked_comment(comment, PASSAGE) == "", why
