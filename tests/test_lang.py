"""One language detector: each caller's verdicts pinned on roadmap lines, dev questions and profiles.

The fixture was recorded from the five detectors that existed before they were merged; ``was``
marks the lines whose verdict the merge changed (all mixed lines near a cut-off, where one rule
counted Latin letters and another Latin words; the merged rule counts words everywhere).
"""

import json
from pathlib import Path

import pytest

from tutorbot import lang

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "lang_golden.json").read_text())
CALLERS = {
    "chat": lambda t: lang.detect_lang(t, zh_from=lang.QUESTION_ZH),
    "profile": lambda t: lang.detect_lang(t, zh_from=lang.PROSE_ZH, strict=True),
    "quiz": lambda t: lang.detect_lang(t, zh_from=lang.PROSE_ZH, strict=True),
    "corpus": lambda t: lang.detect_lang_mixed(t, zh_from=lang.DOCUMENT_ZH, en_to=lang.DOCUMENT_EN, strip_urls=True),
    "links": lambda t: lang.detect_lang_mixed(t, zh_from=lang.PAGE_ZH, en_to=lang.PAGE_EN),
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_each_caller_keeps_its_recorded_verdicts(caller):
    wrong = [(row["text"][:60], row[caller]) for row in GOLDEN if CALLERS[caller](row["text"]) != row[caller]]
    assert wrong == []


def test_the_merge_changed_only_a_few_borderline_lines():
    changed = [row for row in GOLDEN if "was" in row]
    assert len(changed) <= 25 and all(0.3 <= lang.cjk_share(r["text"]) <= 0.8 for r in changed)


def test_the_callers_use_the_shared_thresholds():
    from tutorbot.chat.service import question_language
    from tutorbot.ingest.corpus import document_lang
    from tutorbot.ingest.links.extract import page_lang
    from tutorbot.plans.profile import profile_language
    from tutorbot.quiz.match import language_of

    for row in GOLDEN:
        t = row["text"]
        assert (question_language(t), profile_language(t), language_of(t), document_lang(t), page_lang(t)) == \
            (row["chat"], row["profile"], row["quiz"], row["corpus"], row["links"])


@pytest.mark.parametrize(("text", "share"), [("", 0.0), ("abc def", 0.0), ("中文", 1.0), ("中文 ab", 2 / 3),
                                             ("𠀀 ab", 0.5), ("看 [x](https://a.b/c/d)", 1 / 7)])
def test_cjk_share_counts_characters_against_words(text, share):
    assert lang.cjk_share(text) == pytest.approx(share)


def test_urls_can_be_left_out_of_the_count():
    assert lang.cjk_share("看 [x](https://a.b/c/d)", strip_urls=True) == pytest.approx(0.5)


@pytest.mark.parametrize(("token", "value"), [("三", 3), ("十", 10), ("十二", 12), ("二十五", 25), ("两", 2),
                                              ("一二", None), ("十十", None), ("三百", None), ("", None)])
def test_chinese_numerals_up_to_ninety_nine_are_read_and_anything_else_is_not_a_number(token, value):
    assert lang.chinese_number(token) == value


@pytest.mark.parametrize(("word", "shaped"), [("宋飏", True), ("何恺明", True), ("李宏毅", True), ("好用", False),
                                              ("大模型", False), ("李", False), ("Li Hongyi", False)])
def test_a_chinese_name_starts_with_a_common_surname(word, shaped):
    assert lang.name_shaped(word) is shaped
