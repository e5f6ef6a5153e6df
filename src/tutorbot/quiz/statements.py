"""Explanatory sentences: the sentences of the corpus that teach something about the subject.

Stage: indexed chunks → **statements** → concept questions. A sentence explains when it has a cue
of a definition ("X is a …", "…是指…"), a mechanism ("by …", "通过…"), a cause or effect
("reduces …", "因为…", "从而…") or a comparison ("than …", "相比…"), and is neither about a
resource (a link, a URL, a course code, a catalog title), nor advice to the reader ("Learn …",
"you …", "建议…"), nor a heading, a table row, code or a formula. Its focus is the concept term
it is about: the last term before the cue, else the first one after it. Everything here is
patterns of the two languages, not lists written for particular passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from tutorbot.lang import Language, cjk_count, detect_lang
from tutorbot.quiz.match import contains, fold, plain
from tutorbot.quiz.vocabulary import Mention, Vocabulary
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.schemas import Chunk
from tutorbot.verify.facts import COURSE

Cue = Literal["definition", "mechanism", "effect", "comparison"]

EN_CUES: dict[Cue, re.Pattern[str]] = {
    "definition": re.compile(r"\b(?:is|are) (?:a|an|the|one|simply|essentially)\b|\brefers? to\b|\bmeans\b|"
                             r"\b(?:is|are) (?:defined|known|called)\b|\bi\.e\.", re.I),
    "comparison": re.compile(r"\b(?:than|unlike|compared (?:to|with)|whereas|instead of|rather than|in contrast|"
                             r"outperforms?|subsumes?|generali[sz]ation of)\b", re.I),
    "effect": re.compile(r"\b(?:because|so that|therefore|thus|hence|allows?|enables?|reduces?|improves?|avoids?|"
                         r"prevents?|leads? to|results? in|speeds? up|increases?|decreases?|lowers?|"
                         r"makes? it|without affecting|(?:is|are) (?:important|crucial|essential|key) for)\b", re.I),
    "mechanism": re.compile(r"\b(?:by (?:\w+ing|using)|through|via|based on|consists? of|computes?|predicts?|"
                            r"learns?|maps?|adds?|removes?|stores?|caches?|reuses?|transforms?|estimates?|"
                            r"generates?|samples?|trains?|splits?|combines?|replaces?|uses?|is used|applies|produces?|"
                            r"requires?|depends? on|relies on|converts?|encodes?|decodes?|attends?)\b", re.I),
}
ZH_CUES: dict[Cue, re.Pattern[str]] = {
    "definition": re.compile(r"是一种|是一类|是一个|是指|指的是|就是|即|称为|被称作|泛指|定义为|本质上是|"
                             r"是.{1,12}的一个分支"),
    "comparison": re.compile(r"相比|相较|比起|不同于|而不是|优于|区别|比.{1,10}更"),
    "effect": re.compile(r"因为|由于|所以|因此|从而|使得|导致|以便|为了|能够|减少|降低|提高|提升|加快|加速|避免|解决|"
                         r"节省|占有重要地位|至关重要|非常重要"),
    "mechanism": re.compile(r"通过|利用|借助|基于|采用|将.{1,20}(?:映射|转换|分解|压缩|缓存)|预测|学习.{0,6}分布"),
}
CUE_ORDER: tuple[Cue, ...] = ("definition", "comparison", "effect", "mechanism")

# Talk to or about the reader, and study advice: what to do, not what the subject is.
ADVICE = re.compile(r"\b(?:you|your|we recommend|let's|let us|I|I'm|my|month|week)\b|"
                    r"你|我(?!们)|笔者|建议|推荐|值得|适合|入门|课程|"
                    r"作业|教程|视频|博客|论文|综述|资料|(?<!数据)库|学习路线|上手|动手|掌握|阶段|第.{1,4}周", re.I)
IMPERATIVE = re.compile(r"^(?:learn|study|read|watch|start|try|focus|review|explore|understand|familiari[sz]e|"
                        r"take|check|follow|consider|get|build|implement|practi[cs]e|see|dive|master|look|compute|"
                        r"use|run|add|create|set|make|evaluate|compare|install|download|call|define|apply)\b|^(?:"
                        r"学习|阅读|读|写|编写|掌握|了解|理解|深入|熟悉|尝试|关注|复习|重点|完成|实现|参考|观看|看|动手|手动|搭建|跑通|"
                        r"探索|在|用|使用|对比|比较|研究|分析|训练|微调|部署|配置|监控|调试|推导)", re.I)
RESOURCE = re.compile(r"https?://|\]\(|\b(?:course|lecture|tutorial|book|video|blog|playlist|homework|moocs?|"
                      r"paper|documentation|library|leaderboard|arxiv|github|readme|script|install|demo|repo|repository|"
                      r"list of|curated|this (?:post|article|series))\b|\b\w+\.(?:py|bin|sh|txt|json|md)\b", re.I)
NOT_PROSE = re.compile(r"[$`{}=<>\\|]|^#|[a-z]_[a-z]")  # code, formulas, tables, snake_case names
NUMBER = re.compile(r"(?<![\w.\-])\d+(?:[.,]\d+)?%?(?![\w.])")  # 3.17, 128, 15% (not GPT-2, 405B)
QUESTION = re.compile(r"[?？][）)]*$|[?？]（[^）]*）$")
WHOLE_EN = re.compile(r"^[A-Z0-9“\"'(].*[.!?][”\"')]*$")
WHOLE_ZH = re.compile(r"[。！；？.]$|^[^：:]{2,40}[：:]")
# "Residual Connections: important for training deep networks." — a term, a colon, what it is.
PAREN = re.compile(r"[（(][^（）()]*[）)]")
LABEL = re.compile(r"^[^:：,，。]{2,40}[:：]\s*(?=\S)")
LIST_LIKE = re.compile(r"(?:[,，、].*){2,}|\betc\b|等等?$")


@dataclass(frozen=True)
class Statement:
    """One explanatory sentence of a chunk, with the concept terms it names."""

    chunk: Chunk
    text: str
    cue: Cue
    mentions: tuple[Mention, ...]
    focus: Mention | None
    language: Language
    cue_at: int = 0

    @property
    def rest_without(self) -> str:
        """The sentence with its focus term blanked out (empty without a focus)."""
        f = self.focus
        return "" if f is None else self.text[:f.start] + "____" + self.text[f.end:]


def cue_of(sentence: str, lang: Language, mentions: Sequence[Mention] = ()) -> tuple[Cue, int] | None:
    """The sentence's explanatory cue and where it starts, by the first kind that matches outside a term
    ("caches" is a cue, "KV Cache" is not)."""
    cues = ZH_CUES if lang == "zh" else EN_CUES
    for kind in CUE_ORDER:
        for m in cues[kind].finditer(sentence):
            if not any(x.start <= m.start() < x.end for x in mentions):
                return kind, m.start()
    return None


def label_cue(sentence: str, mentions: list[Mention], lang: Language) -> tuple[Cue, int] | None:
    """"Term: what it is" — a label that is (mostly) a concept term, then a clause about it."""
    m = LABEL.match(sentence)
    if m is None:
        return None
    label, rest = PAREN.sub("", sentence[: m.end() - 1]).strip(" *_"), sentence[m.end():]
    named = sum(x.end - x.start for x in mentions if x.end <= m.end())
    size = cjk_count(rest) if lang == "zh" else sum(w[:1].islower() for w in rest.split())
    if named < 0.6 * len(label) or size < (8 if lang == "zh" else 4) or LIST_LIKE.search(rest) \
            or IMPERATIVE.match(rest):
        return None
    return "definition", m.end() - 1


def prose(sentence: str, lang: Language, labelled: bool = False) -> bool:
    """A whole sentence (not a list fragment or a cut-off chunk end), long enough to explain, short
    enough to quote, without code, formula or table; a question only after a term's label
    ("对齐（Alignment）：如何让 LLM 更安全？" says what alignment is for)."""
    if QUESTION.search(sentence) and not labelled:
        return False
    size = len(sentence) if lang == "zh" else len(sentence.split())
    low, high = (12, 120) if lang == "zh" else (8, 45)
    whole = WHOLE_ZH.search(sentence) if lang == "zh" else WHOLE_EN.search(sentence)
    return low <= size <= high and bool(whole) and not NOT_PROSE.search(sentence) and balanced(sentence)


def balanced(sentence: str) -> bool:
    """Brackets and quotes close: a sentence cut inside "(seq. 512)" is not a whole sentence."""
    return all(sentence.count(a) == sentence.count(b) for a, b in ("()", "（）", "“”", "[]"))


def about_subject(sentence: str, titles: Iterable[str] = ()) -> bool:
    """Not a resource, not study advice, not a course code or a catalog title, not a list of results
    ("an FID of 3.17 on CIFAR10 at 256x256": numbers are what a learner looks up, not understands)."""
    if RESOURCE.search(sentence) or ADVICE.search(sentence) or IMPERATIVE.match(sentence):
        return False
    if len(NUMBER.findall(sentence)) >= 2 or COURSE.search(sentence):
        return False
    squashed = fold(sentence).replace(" ", "")
    return not any(t in squashed for t in titles)


def focus_of(mentions: list[Mention], cue_at: int, lang: Language) -> Mention | None:
    """The term the sentence is about: its subject when it opens the sentence, else the last term
    before the cue, else the first one after it."""
    before = [m for m in mentions if m.end <= cue_at]
    if before and before[0].start <= (2 if lang == "zh" else 12):
        return before[0]
    return before[-1] if before else next(iter(mentions), None)


def statements(chunk: Chunk, vocab: Vocabulary, titles: Iterable[str] = ()) -> Iterator[Statement]:
    """The explanatory sentences of a chunk that name a concept, as plain text. ``titles`` are catalog
    titles folded without spaces (``title_keys``): a sentence naming one is about a resource."""
    titles = list(titles)
    for s in split_sentences(chunk.text):
        text = plain(s.text)
        lang = detect_lang(text)
        if not about_subject(s.text, titles) or contains(chunk.title, text):  # a page's title is no explanation
            continue
        mentions = vocab.mentions(text)
        label = LABEL.match(text)
        if label and IMPERATIVE.match(text[label.end():]):  # "Scaling Transformers: Learn how …"
            continue
        labelled = label_cue(text, mentions, lang)
        found = labelled or cue_of(text, lang, mentions)
        focus = focus_of(mentions, found[1], lang) if found else None
        if found and focus and prose(text, lang, labelled is not None):
            yield Statement(chunk, text, found[0], tuple(mentions), focus, lang, found[1])


def title_keys(titles: Iterable[str]) -> list[str]:
    """Catalog titles in the form ``statements`` compares them: folded, without spaces."""
    return [k for t in titles if len(k := fold(t).replace(" ", "")) >= 6]
