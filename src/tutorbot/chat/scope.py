"""Whether a question is about the corpus: the signals that lower the grounding floor.

Naming a curriculum topic, or a course/paper/tool the corpus names (CS336, nanoGPT, HELM), makes a
question on-topic even when it says little else. A corpus that does not match the curriculum goes
without the first signal. Asking where to begin is on-topic too, with no subject named: the roadmaps
are study paths ("I'm a beginner, what should I learn first?", "每周只有 5 小时，先学什么？"); a
question that names another subject ("the best way to learn guitar") is not. Asking only what to study
next is answered from the learner's own plan (``chat.next_step``). ``in_scope`` decides from these
signals and the retrieval scores.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from tutorbot.curriculum.graph import Curriculum
from tutorbot.lang import has_cjk, name_shaped
from tutorbot.retrieval.tokenize import mentions_name, name_terms
from tutorbot.schemas import CatalogEntry, Chunk
from tutorbot.settings import RetrievalSettings

CAPITALISED = re.compile(r"\b[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+){1,2}\b")  # Percy Liang, Chris Ré
LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-zà-ÿ]+")
# The words of "where do I start" in both languages (and of the time a learner has): a question made
# of nothing else asks for a study path.
STUDY_PATH_WORDS = ("learn learning study start begin beginner newbie novice new first path roadmap route order "
                    "step where plan curriculum guide hour week day month time spare free only know nothing "
                    "background experience zero complete total absolute good best advice advise recommend suggest "
                    "tip here thing am please "
                    "学 学习 先学 入门 零基础 小白 新手 开始 起步 上手 起点 第一步 路线 路径 顺序 先 "
                    "每周 每天 小时 时间 计划 准备 应该 该 从哪 哪里 只有 只 能 没有 没 完全 基础 从零 怎么办 "
                    "有没有 学起 建议 请问 好 最好")
PLAN_REQUEST = re.compile(r"\b(make|create|build|give|draft|plan)\b.{0,30}\b(study|learning)?\s*plan\b|"
                          r"\bstudy plan\b|\blearning plan\b|(学习|复习)(计划|规划|路线)|(制定|做|定|规划).{0,8}计划",
                          re.IGNORECASE)
# The words of "what next": with the study-path words, a question made of nothing else asks where the
# learner stands, which their own plan answers ("What should I study next?", "我下一步该学什么？").
NEXT_WORDS = ("next now after afterwards then continue come finish finished done resource material read watch "
              "下一步 我下一步 接下来 然后 之后 现在 继续 做什么 该学 呢 完成 学完 我学 完 看完 看 读 资源 哪个 第一周")
# In a conversation "and after that?" follows the last answer: there a what-next question must also say
# that it is about studying.
STUDYING = "learn study plan week review course 学 学习 计划 周 复习 课"
# What the roadmaps call their starting points: searched with such a question, which names none of them.
STARTING_POINTS = "入门 基础 第一阶段 first stage fundamentals"


def topic_matcher(chunks: Sequence[Chunk], catalog: Sequence[CatalogEntry], curriculum: Curriculum | None,
                  unlisted: Callable[[str], list[str]] = lambda q: [],
                  romanised: Mapping[str, list[str]] | None = None) -> Callable[[str], bool]:
    """A predicate: does this question name a topic, a name the corpus uses, or someone the roadmaps
    name? ``unlisted`` finds the Chinese words of a text no dictionary holds (``Retriever.unlisted``);
    ``romanised``: the people the roadmaps name in Chinese, in pinyin (``TermTable.names``)."""
    names = name_terms([f"{c.title} {c.section}" for c in chunks] + [e.title for e in catalog])
    someone = people_matcher(chunks, unlisted, romanised)
    if curriculum is None:
        return lambda q: mentions_name(q, names) or someone(q)
    return lambda q: bool(curriculum.mentions(q)) or mentions_name(q, names) or someone(q)


def people_matcher(chunks: Sequence[Chunk], unlisted: Callable[[str], list[str]],
                   romanised: Mapping[str, list[str]] | None = None) -> Callable[[str], bool]:
    """Does a question name someone the roadmaps name: "Percy Liang", "Pieter Abbeel", 宋飏, 何恺明?

    In Latin script a name is two or three capitalised words in a row, none of which the roadmaps ever
    write in lower case (so not "Neural Networks"), said with its capitals, or a name the roadmaps write
    in Chinese, in pinyin ("Kaiming He" for 何恺明: ``romanised``, ``ingest.names``); in Chinese, a word
    of the question no dictionary holds, shaped like a name (a common surname first: 宋飏, not 好用), that
    the roadmaps write."""
    text = "\n".join(c.text for c in chunks if c.kind == "roadmap")
    lower = set(LOWER_WORD.findall(text))
    latin = {m for m in CAPITALISED.findall(text) if not any(w.lower() in lower for w in re.split(r"[ -]", m))}
    pattern = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in sorted(latin))) if latin else None
    romanised = romanised or {}
    people = [name for name in romanised if name in text]  # the tokenizer knows them: no longer unlisted
    forms = sorted({f for name in people for f in romanised[name]})
    pinyin = re.compile("|".join(rf"\b{re.escape(f)}\b" for f in forms), re.I) if forms else None
    return lambda q: (bool(pattern and pattern.search(q)) or bool(pinyin and pinyin.search(q))
                      or any(n in q for n in people) or any(w in text for w in unlisted(q) if name_shaped(w)))


def asks_where_to_start(question: str, tokenize: Callable[[str], list[str]]) -> bool:
    """Whether ``question`` asks where to begin and says nothing else (numbers and lone letters aside)."""
    study = _vocabulary(tokenize, STUDY_PATH_WORDS)
    words = _words(question, tokenize)
    return bool(words) and all(t in study for t in words) or asks_what_next(question, tokenize)


def _vocabulary(tokenize: Callable[[str], list[str]], words: str) -> frozenset[str]:
    """A word list as ``tokenize`` writes it: tokenised once per tokenizer, not on every question (the
    live retriever hands out a fresh wrapper of its current tokenizer each time: the tokenizer is the key)."""
    return _tokenized(inspect.unwrap(tokenize), words)


@lru_cache(maxsize=32)
def _tokenized(tokenize: Callable[[str], list[str]], words: str) -> frozenset[str]:
    return frozenset(tokenize(words))


def _words(question: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    return [t for t in tokenize(question) if has_cjk(t) or (len(t) > 1 and not t.isdigit())]


def asks_what_next(question: str, tokenize: Callable[[str], list[str]], in_conversation: bool = False) -> bool:
    """Whether ``question`` asks what to study next and says nothing else ("what now?", "接下来学什么？");
    ``in_conversation``: it must say that it is about studying ("and after that?" follows the last answer)."""
    nexts = _vocabulary(tokenize, NEXT_WORDS)
    words = set(_words(question, tokenize))
    if in_conversation and not words & _vocabulary(tokenize, STUDYING):
        return False
    return bool(words & nexts) and words <= nexts | _vocabulary(tokenize, STUDY_PATH_WORDS)


def study_path_search(query: str, tokenize: Callable[[str], list[str]]) -> str:
    """The text to search for ``query``: a where-to-start question also looks for the roadmaps' starting points."""
    return searched_for(query, asks_where_to_start(query, tokenize))


def searched_for(query: str, where_to_start: bool) -> str:
    return f"{query} {STARTING_POINTS}" if where_to_start else query


def wants_plan(question: str) -> bool:
    """Whether ``question`` asks for a study plan ("make me a plan", "帮我制定一个学习计划")."""
    return bool(PLAN_REQUEST.search(question))


def in_scope(similarity: float, lexical: float, names_topic: bool, r: RetrievalSettings, *,
             known_names: int = 0, unknown_names: int = 0, value_stated: bool | None = None) -> bool:
    """Whether the roadmaps cover a question, from its best dense match, its lexical strength
    (best expanded BM25 / ln(chunks), ``Retriever.lexical_strength``), whether it names a topic,
    roadmap or page, and the names it uses (``retrieval.grounding``).

    Tuned on the tuning half of dev2, the dev questions and 20 off-topic ones (cooking, sports,
    weather, phones: ``evaluate.OFF_TOPIC``), on both indexes. Dense similarity alone overlaps
    (off-topic up to 0.90, on-topic from 0.85). Off-topic questions share few words with the
    corpus (lexical strength <= 0.63 with or without the linked pages); on-topic ones that name
    nothing reach >= 0.70. The hard case is on-topic-sounding questions the corpus does not answer
    (LoRA's lora_alpha, ONNX export, YOLO versions): they name tools or settings the index has
    never seen, and are refused when those unknown names are at least as many as the known ones, or
    when they ask for a value (a batch size, a temperature) no retrieved sentence states
    (``value_stated`` False; ``retrieval.grounding.states_value``).
    """
    if (unknown_names and unknown_names >= known_names) or value_stated is False:
        return False
    return similarity >= r.min_score and (names_topic or lexical >= r.min_lexical)
