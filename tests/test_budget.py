"""The work bound of one question (``retrieval.budget``): cut by every count, at a word, never longer."""

from hypothesis import given
from hypothesis import strategies as st

from tutorbot.retrieval.budget import bounded, strongest


def words(text: str) -> int:
    return len(text.split())


def test_a_question_within_the_budget_is_returned_as_it_is():
    assert bounded("what is lora", 12, [words, len]) == "what is lora"


def test_a_long_question_is_cut_at_a_word_so_that_every_count_fits():
    cut = bounded("alpha beta gamma delta " * 50, 10, [words, len])
    assert cut == "alpha beta"  # 10 characters allow two words, not the half of a third
    assert bounded("alpha beta gamma delta " * 50, 30, [words]).split() == ("alpha beta gamma delta " * 8).split()[:30]


def test_text_without_spaces_is_cut_inside_it():
    assert bounded("注意力" * 400, 12, [len]) == ("注意力" * 4)


@given(st.text(max_size=600), st.integers(min_value=1, max_value=80))
def test_the_cut_never_exceeds_the_budget_and_is_a_prefix(text, budget):
    cut = bounded(text, budget, [len, words])
    assert len(cut) <= budget and words(cut) <= budget
    assert text.strip().startswith(cut) or text.startswith(cut)


def test_the_expansion_keeps_its_heaviest_terms_in_their_order():
    assert strongest({"a": 0.3, "b": 1.0, "c": 0.5, "d": 1.0}, 3) == {"b": 1.0, "c": 0.5, "d": 1.0}
    assert strongest({"a": 0.3}, 3) == {"a": 0.3}
