"""A question asking how many or how much is answered first by a sentence that states a value
(``retrieval.grounding.values_first``): the expected answer is a number, not the sentence with most of its words."""

from tutorbot.retrieval.grounding import states_a_value, values_first
from tutorbot.retrieval.sentences import RankedSentence

ASKED = 'What are the "query", "key", and "value" vectors?'
STATED = "Their dimensionality is 64, while the embedding vectors have dimensionality of 512."


def ranked(*texts: str) -> list[RankedSentence]:
    return [RankedSentence(0, "c", t, 0, len(t), 0.5 - n / 100, 0.1) for n, t in enumerate(texts)]


def test_a_sentence_stating_a_value_answers_how_many_before_one_that_only_shares_its_words():
    order = values_first("query/key/value 向量是多少维？", ranked(ASKED, STATED))
    assert [r.text for r in order] == [STATED, ASKED]
    assert [r.text for r in values_first("How many dimensions do the query vectors have?", ranked(ASKED, STATED))] \
        == [STATED, ASKED]


def test_other_questions_keep_the_ranking_and_which_ones_asks_no_number():
    for question in ["What are the query, key and value vectors?", "防过拟合要复习哪几种正则化手段？"]:
        assert [r.text for r in values_first(question, ranked(ASKED, STATED))] == [ASKED, STATED]


def test_a_value_is_a_number_or_a_chinese_count_and_not_a_names_digits():
    assert states_a_value("每次作业的 handout 都有四五十页 pdf")
    assert states_a_value("requires only 2.788M H800 GPU hours")
    assert not states_a_value("GPT-2 and CMU 11868 are covered in [Lecture notes](https://x.example/2024/1)")
    assert not states_a_value("设计了一个路线图")  # 一个 is the indefinite article, no count
