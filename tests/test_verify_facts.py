"""Facts a model invents most often: course codes, names, numbers, titles."""

import pytest

from tutorbot.verify.facts import facts, missing_facts

SOURCES = ["Stanford CS336: Language Modeling from Scratch，从零构建语言模型，约 10 周。",
           "Karpathy 的 nanoGPT 项目和 Zero to Hero 视频系列", "推荐《动手学深度学习》（李沐）"]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Take Stanford CS336 [1].", ["Stanford", "CS336"]),
    ("GPT-4模型和CS336课程", ["GPT", "GPT-4", "4", "CS336"]),
    ("推荐先看《动手学深度学习》，大约需要3个月。", ["动手学深度学习", "3"]),
    ("Read it with Andrej Karpathy's nanoGPT.", ["Andrej Karpathy", "nanoGPT"]),
    ("It's a course that combines deep learning with deep learning.", []),
])
def test_facts_are_found_in_either_language(sentence, expected):
    assert facts(sentence) == expected


def test_an_invented_course_is_missing_from_the_sources():
    assert missing_facts("You should take a course called DeepSeek Academy.", SOURCES) == ["DeepSeek", "Academy"]


def test_supported_facts_match_across_case_width_and_spacing():
    assert missing_facts("CS 336 takes about 10 weeks; then try nanogpt.", SOURCES) == []
    assert missing_facts("Andrej Karpathy's series is great.", SOURCES) == []  # "Karpathy" supports the name
    assert missing_facts("李沐的课需要 3 个月。", SOURCES) == ["3"]
