"""Which clauses of a question describe the learner rather than ask (``chat.background``)."""

from __future__ import annotations

import pytest

from tutorbot.chat.background import asked, background, names_asked


@pytest.mark.parametrize("question, clause", [
    ("I know PyTorch and CNNs. Which course teaches how LLMs are built?", "I know PyTorch and CNNs."),
    ("I've been shipping Keras models for years. Which book covers the theory?",
     "I've been shipping Keras models for years."),
    ("I’ve been shipping Keras models for years. Which book covers the theory?",  # a phone's apostrophe
     "I’ve been shipping Keras models for years."),
    ("i work on GPU clusters at a cloud company. What should I read on inference?",
     "i work on GPU clusters at a cloud company."),
    ("I'm a web dev building an agent app. What are the building blocks of an agent?",
     "I'm a web dev building an agent app."),
    ("I know how to fine-tune BERT with Keras. Which paper explains GPT-3?",
     "I know how to fine-tune BERT with Keras."),
    ("As a product manager, what should I learn about RAG?", "As a product manager,"),
    ("Backend dev here, mostly Go and Postgres. Which course covers serving LLMs?",
     "Backend dev here, mostly Go and Postgres."),
    ("Data engineer working with Spark; which course covers the systems side of LLMs?",
     "Data engineer working with Spark;"),
    ("I do survey analysis in Stata. Which techniques against overfitting should I review?",
     "I do survey analysis in Stata."),
    ("我是做前端的，想做一个检索问答的 demo，该学什么？", "我是做前端的，"),
    ("作为一名后端开发，大模型应该从哪里学起？", "作为一名后端开发，"),
    ("我是做推荐算法的，平时用 TensorFlow 跑模型。想了解大模型的前沿方向，该选哪门课？",
     "我是做推荐算法的，平时用 TensorFlow 跑模型。"),
    ("前端开发，平时写 Vue、React 什么的。复习深度学习基础要看哪门课？", "前端开发，平时写 Vue、React 什么的。"),
    ("游戏公司做数值策划，平时用 Excel 写点小工具。研究者计划里的对齐流程由哪两部分组成？",
     "游戏公司做数值策划，平时用 Excel 写点小工具。"),
])
def test_a_sentence_or_first_clause_where_the_learner_describes_themself_is_background(question, clause):
    assert background(question) == [clause]
    assert clause not in asked(question) and asked(question).strip()


@pytest.mark.parametrize("question", [
    "What is a KV cache and why does it speed up inference?",
    "What do I know after the first stage of the plan?",
    "I know PyTorch.",  # nothing is left to ask: the whole text is the question
    # wanting, trying or not understanding is what is asked, however it is put
    "I want to learn Triton. Which blog explains it?",
    "I really want to learn Triton. Which blog explains it?",
    "I wanted to learn Triton. Which blog explains it?",
    "I am trying to learn Triton. Which blog explains it?",
    "I was wondering about Triton kernels. Which blog explains them?",
    "I'm looking for a course on Triton kernels. Which one do the roadmaps name?",
    "I don’t understand Triton. Which blog explains it?",
    "我想学 Triton，有什么推荐？",
    "我也想学 Triton。有什么推荐的博客？",
    "我一直搞不懂 Triton 的 kernel。有什么推荐的博客？",
    "我对 Triton 很感兴趣。有什么推荐的博客？",
    # a job's words that are no one's job
    "The ONNX Runtime developer guide covers opsets. Which roadmap links it?",
    "Triton tutorials for ML engineers. Which roadmap lists them?",
    "开发 Triton 算子，需要先学什么？",
    "用 Triton 做测试，需要先学什么？",
    "我有多少时间学完第一阶段？",
])
def test_a_question_without_a_self_description_has_no_background(question):
    assert background(question) == [] and asked(question) == question


def topic(text: str) -> bool:
    return "deep learning" in text


def never(text: str) -> bool:
    return False


def test_names_only_in_the_background_are_left_out_both_known_and_unknown():
    question = "I know PyTorch, JAX and Keras. Which deep learning course covers ONNX export?"
    assert names_asked(["PyTorch", "JAX"], ["Keras", "ONNX"], question, topic, never) == ([], ["ONNX"])


def test_every_name_counts_when_what_is_asked_names_no_topic_or_scope():
    question = "I went through the research plan with Keras at work. How do I deploy those models to phones?"
    assert names_asked([], ["Keras"], question, topic, never) == ([], ["Keras"])
    assert names_asked([], ["Keras"], question, topic, lambda text: "phones" in text) == ([], [])


def test_a_name_asked_about_counts_in_any_case():
    question = "I build dashboards in Tableau daily. How do I feed tableau from a deep learning model?"
    assert names_asked([], ["Tableau"], question, topic, never) == ([], ["Tableau"])


def test_a_span_repeated_in_the_question_is_cut_only_where_it_describes_the_learner():
    question = "I use Keras. Which deep learning book fits the way I use Keras."
    assert "I use Keras" in asked(question) and background(question) == ["I use Keras."]
