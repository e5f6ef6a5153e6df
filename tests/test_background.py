"""Which clauses of a question describe the learner rather than ask (``chat.background``)."""

from __future__ import annotations

import pytest

from tutorbot.chat.background import asked, background


@pytest.mark.parametrize("question, clause", [
    ("I know PyTorch and CNNs. Which course teaches how LLMs are built?", "I know PyTorch and CNNs."),
    ("I've been shipping Keras models for years. Which book covers the theory?",
     "I've been shipping Keras models for years."),
    ("i work on GPU clusters at a cloud company. What should I read on inference?",
     "i work on GPU clusters at a cloud company."),
    ("I'm a web dev building an agent app. What are the building blocks of an agent?",
     "I'm a web dev building an agent app."),
    ("As a product manager, what should I learn about RAG?", "As a product manager,"),
    ("Backend dev here, mostly Go and Postgres. Which course covers serving LLMs?",
     "Backend dev here, mostly Go and Postgres."),
    ("我是做前端的，想做一个检索问答的 demo，该学什么？", "我是做前端的，"),
    ("作为一名后端开发，大模型应该从哪里学起？", "作为一名后端开发，"),
    ("Data engineer working with Spark; which course covers the systems side of LLMs?",
     "Data engineer working with Spark;"),
    ("I do survey analysis in Stata. Which techniques against overfitting should I review?",
     "I do survey analysis in Stata."),
    ("游戏公司做数值策划，平时用 Excel 写点小工具。研究者计划里的对齐流程由哪两部分组成？",
     "游戏公司做数值策划，平时用 Excel 写点小工具。"),
    ("我是做推荐算法的，平时用 TensorFlow 跑模型。想了解大模型的前沿方向，该选哪门课？",
     "我是做推荐算法的，平时用 TensorFlow 跑模型。"),
])
def test_a_sentence_or_first_clause_where_the_learner_describes_themself_is_background(question, clause):
    assert background(question) == ([clause] if clause else [])
    if clause:
        assert clause not in asked(question) and asked(question).strip()


@pytest.mark.parametrize("question", [
    "What is a KV cache and why does it speed up inference?",
    "I want to learn Triton. Which blog explains it?",  # wanting is what is asked
    "I'm looking for a course on Triton kernels. Which one do the roadmaps name?",
    "I don't understand attention. Which blog explains it?",
    "我想学 Triton，有什么推荐？",
    "What do I know after the first stage of the plan?",
    "我有多少时间学完第一阶段？",
    "I know PyTorch.",  # nothing is left to ask: the whole text is the question
])
def test_a_question_without_a_self_description_has_no_background(question):
    assert background(question) == [] and asked(question) == question
