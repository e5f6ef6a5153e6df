"""Cross-language retrieval and grounding on the real index (real e5 embeddings, real Chroma).

The questions are written for this test, in the style of the dev sets but in neither of them:
English questions whose answer the roadmaps give only in Chinese, Chinese questions answered only
by the English (ChatGPT) part, and on-topic-sounding questions the corpus does not answer.
"""

import re

import pytest

from tutorbot.chat.evaluate import first_hit_rank
from tutorbot.chat.scope import study_path_search

pytestmark = pytest.mark.integration

CROSS = [
    ("Which hardware bottleneck heads DeepSeek's list of the key open problems?", ["内存墙问题"]),
    ("in the relearn-AI notes, which lecturer is described as a big Pokémon fan?", ["钟爱宝可梦"]),
    ("Which parallelism strategies does the relearn-AI roadmap list under pretraining?", ["流水线并行"]),
    ("What PyTorch feature does DeepSeek pair with automatic mixed precision?", ["混合精度训练"]),
    ("ChatGPT 那份路线里，复习激活函数要看哪几种？", ["ReLU, Tanh, Sigmoid"]),
    ("ChatGPT 的最后建议里，怎么跟上 LLM 的最新研究？", ["Stay Up-to-Date"]),
    # one line of an English list, found one sentence at a time (``line_view``; sixth without it)
    ("稀疏注意力是为了解决什么问题？", ["Methods to make attention more efficient"]),
    ("路线里是怎么讲模型可解释性这个问题的？", ["Interpretability"]),
]
# A stage or step named by its ordinal, or a period by its count; the headings write numbers
# ("阶段 2", "6. Study ...").
ORDINAL = [
    ("What is the second stage of the DeepSeek roadmap about?", ["Transformer 深度解析"]),
    ("ChatGPT 路线的第六步讲什么？", ["Study Challenges in LLMs"]),
    # a period by its count: the ChatGPT timeline writes "Month 4-5", DeepSeek's third stage "（4-6 周）"
    ("ChatGPT 的学习时间线里，第四到第五个月做什么？", ["Month 4-5"]),
    ("DeepSeek 路线里，要花四到六周的是哪个阶段？", ["预训练技术演进（4-6 周）"]),
]
# Where to begin, with no subject named: the roadmaps' starting stages answer it.
START = ["I'm new to this, where should I begin?", "完全没基础，该怎么开始？"]
# Someone the roadmaps name, asked about by name alone.
PEOPLE = ["What is Percy Liang known for?", "What does Pieter Abbeel teach?", "宋飏是谁？", "何恺明教什么课？",
          "Which course does Kaiming He teach?", "Is there a Transformer video by Li Hongyi?"]  # in pinyin
# A learner who says what they use or do first: a tool the roadmaps never mention, named only there, is context.
BACKGROUND = [
    "I write data pipelines in Scala at work. Which book do the roadmaps recommend for the theory of deep learning?",
    "我平时用 Tableau 做报表。想系统学一下 Transformer，路线里推荐看哪篇图解博客？",
]
NOT_COVERED = [
    "How many warmup steps should I use with the AdamW optimizer for BERT-base?",
    "Stable Diffusion 的 ControlNet 和 T2I-Adapter 用 ComfyUI 怎么一起配置？",
    "What did Geoffrey Hinton say about capsule networks?",
    "Which vector database is fastest for 10 million embeddings, Milvus or Qdrant?",
]


@pytest.mark.parametrize(("question", "evidence"), CROSS)
def test_a_question_in_one_language_finds_the_passage_written_in_the_other(indexed, question, evidence):
    rank = first_hit_rank(indexed.retriever.search(question, k=5), evidence)
    assert rank is not None, f"{evidence} not in the top 5 for {question!r}"


@pytest.mark.parametrize(("question", "evidence"), ORDINAL)
def test_a_stage_named_by_its_ordinal_finds_the_stage_its_heading_numbers(indexed, question, evidence):
    rank = first_hit_rank(indexed.retriever.search(question, k=5), evidence)
    assert rank is not None, f"{evidence} not in the top 5 for {question!r}"


@pytest.mark.parametrize(("question", "evidence"), CROSS)
def test_cross_language_questions_are_answered_not_refused(indexed, question, evidence):
    assert indexed.chat.covers(question)


@pytest.mark.parametrize("question", START)
def test_a_beginner_asking_where_to_start_is_answered_from_the_roadmaps_first_stages(indexed, question):
    assert indexed.chat.covers(question)
    hits = indexed.retriever.search(study_path_search(question, indexed.retriever.tokenize), k=5)
    assert [h for h in hits if re.search(r"阶段 1|入门|Fundamentals", h.chunk.section)], [h.chunk.section for h in hits]


@pytest.mark.parametrize("question", PEOPLE)
def test_a_question_about_someone_the_roadmaps_name_is_answered(indexed, question):
    assert indexed.chat.covers(question)


def test_he_kaiming_is_found_though_the_question_cuts_his_name_differently_from_the_roadmap(indexed):
    rank = first_hit_rank(indexed.retriever.search("何恺明教什么课？", k=5), ["MIT 6.S978"])
    assert rank is not None


@pytest.mark.parametrize("question", BACKGROUND)
def test_a_tool_named_only_in_the_learners_description_of_themself_does_not_refuse_the_question(indexed, question):
    assert indexed.chat.covers(question)


def test_a_question_about_the_tool_the_learner_uses_is_still_refused(indexed):
    assert not indexed.chat.covers("I use Tableau daily. How do I build a Tableau dashboard with calculated fields?")


@pytest.mark.parametrize("question", NOT_COVERED)
def test_on_topic_sounding_questions_the_corpus_does_not_answer_are_refused(indexed, question):
    assert not indexed.chat.covers(question)


def test_ingest_stores_the_terms_mined_from_the_roadmaps_beside_the_index(indexed):
    from tutorbot.ingest.terms import load_terms

    table = load_terms(indexed.settings.paths.terms)
    assert table is not None and ("混合精度训练", "torch.cuda.amp") in {(p.zh, p.en) for p in table.pairs}
    assert table.acronyms.get("moe") == ["mixture of experts"] and table.en_to_zh


def test_the_second_dense_view_is_fused_and_its_vectors_are_kept_beside_the_index(indexed):
    from tutorbot.retrieval.second_view import load_vectors

    indexed.retriever.search("Which hardware bottleneck heads DeepSeek's list of the key open problems?")
    saved = load_vectors(indexed.settings.paths.second_view, "use/multilingual-v3")
    assert len(saved) == len(indexed.retriever.chunks) and next(iter(saved.values())).shape == (512,)
