"""Question-reading stage: the sentences where a learner describes themself, not what they ask.

"I build internal chatbots with LangChain at my job. Which method does the plan give for tool use?"
names LangChain as the learner's context. Grounding refuses a question whose names the index has never
seen (an on-topic-sounding question about a tool the corpus lacks), and it refused this one, which the
researcher plan answers. A sentence is background when it opens with the learner (or their job, level
or field) and asks nothing: "I know PyTorch.", "I've been shipping Keras models.", "Backend dev here.",
"我是做推荐算法的，平时用 TensorFlow 跑模型。", "本科数学，研究生转了 CS。"; it ends at the clause that
asks ("我会 PyTorch 和 CNN，想搞懂…，该上哪门课？" → "我会 PyTorch 和 CNN，"). Wanting, needing or not
understanding is what the learner asks about, never background ("I really want to learn Triton.",
"我一直搞不懂 Triton。").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# Wanting, needing, not knowing: what the learner asks about ("I'm looking for…", "I don't get…").
_EN_GOAL = ("want", "wanted", "wanna", "need", "needed", "would", "hope", "hoping", "plan", "planning", "try",
            "trying", "tried to", "look for", "looking", "interested", "wonder", "wondering", "curious", "going to",
            "will", "cannot", "can't", "don't", "do not", "didn't", "not", "confused", "stuck", "lost", "unsure",
            "struggling", "struggle", "find", "feel", "think", "thinking", "believe", "guess", "like", "love",
            "wish", "prefer", "'d", "'ll")
_ZH_GOAL = "想 要 需要 希望 打算 准备 不 没 搞不懂 看不懂 好奇 感兴趣 请问 该 应该 能不能 可以 可不可以"
_EN_SELF = ("spent", "worked", "working", "built", "building", "been", "done", "used", "using", "doing", "currently",
            "mostly", "former", "coming from", "background in", "new to")
# A job or level named first, without "I'm": "Data engineer working with Snowflake;", "UX designer — …".
_EN_ROLES = ("engineer developer dev designer analyst scientist researcher student manager consultant architect "
             "administrator admin teacher professor lecturer intern freelancer founder writer postdoc phd pm sre "
             "programmer coder tester marketer actuary accountant doctor physician lawyer")
_EN_AFTER_ROLE = r"(?:\s*[,;:.!—–-]|\s+(?:here|working|at|with|who|by|in|on|from|and|turned)\b)"
_ZH_ROLES = ("开发 工程师 程序员 设计师 分析师 研究员 学生 研究生 本科生 博士生 硕士生 策划 产品经理 经理 运营 老师 "
             "教师 架构师 运维 测试 医生 律师 会计 精算师 实习生 创业者")
_ZH_ADVERBS = "已经|目前|现在|之前|以前|本身|平时|一直|也|主要|刚|自己|还|对"


def _phrases(words: Sequence[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


# Possessive (?+, *+): backtracking must not skip an adverb or "'m" to find a word that is no goal.
EN_SELF = re.compile(
    rf"(?:(?:i|we)(?:'ve|'m|\s+have|\s+am|\s+was|\s+had)?+\s+(?:\w+ly\s+)?+(?!(?:{_phrases(_EN_GOAL)})\b)[a-z]"
    r"|my\s+(?:background|job|day\s+job|work|team|company|major|degree)\b|as\s+an?\s"
    rf"|[a-z][\w /+-]{{1,40}}\s+here\b|(?:{_phrases(_EN_SELF)})\b"
    r"|(?:(?!(?:the|a|an|for|of|to|about|on|in|with|how|what|which)\b)[\w/+.&-]+\s+){0,4}?"
    rf"(?:{_phrases(_EN_ROLES.split())})s?{_EN_AFTER_ROLE})", re.I)
ZH_SELF = re.compile(
    rf"(?:我(?:们)?(?:{_ZH_ADVERBS})*+(?!{'|'.join(_ZH_GOAL.split())})[\u4e00-\u9fff]"
    r"|作为|本人|本科|硕士|博士|研[一二三]|大[一二三四]|目前|平时|之前|以前|毕业|在职|转行|从事"
    rf"|[\u4e00-\u9fff0-9]{{0,12}}?(?:{'|'.join(_ZH_ROLES.split())})[，,。；;—-])")
ZH_WANTS = re.compile("搞不懂|看不懂|不懂|不明白|不理解|好奇|感兴趣|想学|想要|想问|想知道|请问|希望|打算|^想|^要")
ASKS = re.compile(r"[?？]|(?<!know\s)\b(?:which|what|how|where|why|when|should|could|can you|is there|are there)\b"
                  r"|哪|什么(?!的)|怎么|如何|吗|呢|为何|为什么|是否|有没有", re.I)
SENTENCE = re.compile(r"[^.!?;。！？；\n]+[.!?;。！？；\n]*")
CLAUSE = re.compile(r"[^,，]+[,，]?")
MIN_ASKED = 8  # characters left for the question itself; fewer, and the whole text is the question


def background(question: str) -> list[str]:
    """The sentences (or leading clauses) of ``question`` that describe the learner, in reading order; none
    when they would leave less than ``MIN_ASKED`` characters of question."""
    return [question[a:b] for a, b in _spans(question)]


def asked(question: str) -> str:
    """``question`` without its background (``background``), cut where each span stands."""
    return _cut(question, _spans(question), " ")


def _spans(question: str) -> list[tuple[int, int]]:
    text = question.replace("’", "'")  # phones type "I’m"
    spans = [(m.start(), m.start() + n) for m in SENTENCE.finditer(text) if (n := _self_part(m.group(0)))]
    return spans if spans and len(_cut(text, spans, "").strip()) >= MIN_ASKED else []


def _cut(text: str, spans: list[tuple[int, int]], gap: str) -> str:
    for a, b in reversed(spans):
        text = text[:a] + gap + text[b:]
    return text


def _self_part(sentence: str) -> int:
    """How much of ``sentence`` describes the learner: its clauses from the first, when that opens with the
    learner, up to one that asks or says what they want ("我会 PyTorch，想搞懂…，该上哪门课？" → "我会 PyTorch，")."""
    if not describes_self(sentence):
        return 0
    n = 0
    for clause in CLAUSE.findall(sentence):
        if ASKS.search(clause) or ZH_WANTS.search(clause):
            break
        n += len(clause)
    return n


def describes_self(text: str) -> bool:
    """Whether ``text`` opens with the learner, their job, level or field (``EN_SELF``, ``ZH_SELF``), not with
    what they want or do not understand."""
    text = text.strip()
    return bool(EN_SELF.match(text) or ZH_SELF.match(text))


def names_asked(known: Sequence[str], unknown: Sequence[str], question: str, names_topic: Callable[[str], bool],
                names_scope: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """The known and never-seen names the question asks about: those only in the learner's description of
    themself ("I ship CNNs with Keras at work.") are left out when what they ask still names a topic the
    index covers, or a roadmap, part or page; otherwise every name counts, as it always did."""
    rest = asked(question)
    if rest == question or not (names_topic(rest) or names_scope(rest)):
        return list(known), list(unknown)
    return [n for n in known if said(n, rest)], [n for n in unknown if said(n, rest)]


def said(name: str, text: str) -> bool:
    """Whether ``text`` writes ``name`` as a word of its own, in any case ("tableau" is Tableau)."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None
