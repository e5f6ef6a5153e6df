"""Question-reading stage: the sentences where a learner describes themself, not what they ask.

"I build internal chatbots with LangChain at my job. Which method does the plan give for tool use?"
names LangChain as the learner's context. Grounding refuses a question whose names the index has never
seen (an on-topic-sounding question about a tool the corpus lacks), and it refused this one, which the
researcher plan answers. A sentence is background when it opens with the learner (or their job, level
or field) and asks nothing: "I know PyTorch.", "I've been shipping Keras models.", "Backend dev here.",
"我是做推荐算法的，平时用 TensorFlow 跑模型。", "本科数学，研究生转了 CS。". In a sentence that also
asks, only its first clause can be ("我会 PyTorch 和 CNN，想搞懂…，该上哪门课？"). Wanting, needing or
not understanding is what the learner asks about, never background ("I want to learn Triton.").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# Wanting, needing, not knowing: what the learner asks about ("I'm looking for…", "I don't get…").
_EN_GOAL = ("want", "wanna", "need", "would", "hope", "plan", "planning", "try", "trying", "look for", "looking",
            "interested", "wonder", "wondering", "curious", "going to", "will", "cannot", "can't", "don't", "do not",
            "not", "confused", "stuck", "lost", "unsure", "struggling", "struggle", "find", "feel", "think",
            "thinking", "believe", "guess", "like", "love", "wish", "prefer", "'d", "'ll")
_EN_SELF = ("spent", "worked", "working", "built", "building", "been", "done", "used", "using", "doing", "currently",
            "mostly", "former", "coming from", "background in", "new to")
# A job or level named first, without "I'm": "Data engineer working with Snowflake;", "UX designer — …".
_EN_ROLES = ("engineer developer dev designer analyst scientist researcher student manager consultant architect "
             "administrator admin teacher professor lecturer intern freelancer founder writer postdoc phd pm sre "
             "programmer coder tester marketer actuary accountant doctor physician lawyer")
_ZH_ROLES = ("开发 工程师 程序员 设计师 分析师 研究员 学生 研究生 本科生 博士生 硕士生 策划 产品经理 经理 运营 老师 "
             "教师 架构师 运维 测试 医生 律师 会计 精算师 实习生 创业者")


def _phrases(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


EN_SELF = re.compile(
    rf"(?:(?:i|we)(?:'ve|'m|\s+have|\s+am|\s+was|\s+had)?\s+(?!(?:{_phrases(_EN_GOAL)})\b)[a-z]"
    r"|my\s+(?:background|job|day\s+job|work|team|company|major|degree)\b|as\s+an?\s"
    rf"|[a-z][\w /+-]{{1,40}}\s+here\b|(?:{_phrases(_EN_SELF)})\b"
    rf"|(?:[\w/+.&-]+\s+){{0,4}}?(?:{_phrases(_EN_ROLES.split())})s?\b)", re.I)
ZH_SELF = re.compile(
    r"(?:我(?:们)?(?:已经|目前|现在|之前|以前|本身|平时|一直|也|主要|刚|自己)?"
    r"(?!想|要|需要|希望|打算|准备|不|好奇|请问|该|应该|能不能|可以|可不可以)[\u4e00-\u9fff]"
    r"|作为|本人|本科|硕士|博士|研[一二三]|大[一二三四]|目前|平时|之前|以前|毕业|在职|转行|从事"
    rf"|[^，,。；;？?]{{0,12}}?(?:{_phrases(_ZH_ROLES.split())})[，,。；;\s—-])")
ASKS = re.compile(r"[?？]|\b(?:which|what|how|where|why|when|should|could|can you|is there|are there)\b"
                  r"|哪|什么|怎么|如何|吗|呢|为何|为什么|是否|有没有", re.I)
SENTENCE = re.compile(r"[^.!?;。！？；\n]+[.!?;。！？；\n]*")
CLAUSE = re.compile(r"[^,，]+[,，]?")
MIN_ASKED = 8  # characters left for the question itself; fewer, and the whole text is the question


def background(question: str) -> list[str]:
    """The sentences (or leading clauses) of ``question`` that describe the learner, in reading order; none
    when they would leave less than ``MIN_ASKED`` characters of question."""
    spans = [s for s in map(_self_part, SENTENCE.findall(question)) if s]
    return spans if spans and len(asked(question, spans).strip()) >= MIN_ASKED else []


def _self_part(sentence: str) -> str:
    """The sentence when it describes the learner and asks nothing; else its first clause if that does."""
    clause = CLAUSE.match(sentence.strip())
    for part in (sentence, clause.group(0) if clause else ""):
        if part.strip() and not ASKS.search(part) and describes_self(part):
            return part
    return ""


def describes_self(text: str) -> bool:
    """Whether ``text`` opens with the learner, their job, level or field (``EN_SELF``, ``ZH_SELF``)."""
    text = text.strip()
    return bool(EN_SELF.match(text) or ZH_SELF.match(text))


def asked(question: str, spans: list[str] | None = None) -> str:
    """``question`` without its background (``background``)."""
    for span in background(question) if spans is None else spans:
        question = question.replace(span, " ")
    return question


def names_asked(unknown: Sequence[str], question: str, names_topic: Callable[[str], bool],
                names_scope: bool = False) -> list[str]:
    """Of the names the index has never seen, those the question asks about: a name only in the learner's
    description of themself ("I ship CNNs with Keras at work.") is left out when what they ask still names
    a topic the index covers (``names_topic``) or a roadmap, part or page (``names_scope``); otherwise it
    counts, as an unknown name always did."""
    rest = asked(question)
    if rest != question and (names_scope or names_topic(rest)):
        return [n for n in unknown if n in rest]
    return list(unknown)
