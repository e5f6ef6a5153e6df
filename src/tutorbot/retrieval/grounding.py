"""Grounding signals: does the question name things the corpus has never heard of?

Dense similarity and BM25 say how close the nearest passage is; they cannot tell "LoRA's
lora_alpha", "XGBoost" or "ONNX Runtime" from the LoRA, boosting or PyTorch the roadmaps do
cover — on-topic-sounding questions score like answerable ones. Names can: a name-shaped word
(mixed case, letters with digits, snake_case: XGBoost, ONNX, YOLO, v8, word2vec, lora_alpha) that
occurs nowhere in the index is something the corpus does not cover. So is a proper noun: a
capitalised word inside a sentence ("Milvus or Qdrant", "Whisper for Cantonese"), unless the index
writes it as a word of its own or anywhere in a link (the roadmaps write "Lilian Weng" only in her URL),
or holds it in the other language (Pokémon → 宝可梦). Chat refuses a question whose unknown names
are at least as many as its known ones (``chat.scope.in_scope``), so "CS336 with Copilot?" (one
unknown, one known) is still answered.

A question asking for a setting ("how many heads should…", "what batch size should I use", "温度 T
怎么选", "设多少"; not "how many courses does it list") is covered only when a retrieved sentence
states a value (a number, "3-4 周", "0.1", "两个月") beside one of the question's rare words: the
roadmaps name distillation and dropout without ever saying how to set them. Course codes, list
numbering, links and the article 一个 state no value ("CMU 11868", "4. Learn About"). A question naming
what the setting is for ("a GAN", "BERT", "a CNN on CIFAR-10") needs the value stated for that: the
linked papers state their own batch sizes and dropout rates. Those are the papers' own configurations, not
advice: a value a linked page states counts only for a question that names a model, paper or tool, or the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from tutorbot.lang import CN_NUMERAL, URL_TEXT, has_cjk
from tutorbot.retrieval.sentences import RankedSentence, split_sentences
from tutorbot.retrieval.tokenize import NAME_LIKE, STOP, WORD, fold
from tutorbot.schemas import Hit
from tutorbot.urls import MD_LINK

SNAKE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")
VERSION = re.compile(r"\b[A-Za-z][0-9]{1,2}\b")  # v5, v8, o1
CAPITALISED = re.compile(r"\b[A-Z][a-zà-ÿ]{2,}\b")
LINK_PIECE = re.compile(r"[/.?=&#:_()\s]+")
SENTENCE_START = ".?!:;\"'(（—-“‘「"
VALUE_ASK = re.compile(
    r"\bhow (?:many|much)\b[^?.]{0,40}\bshould\b|\bhow (?:do|should) (?:i|we|you) (?:choose|pick|set|tune)\b"
    r"|\b(?:best|optimal|ideal|right|good)\s+(?:\w+\s+){0,2}(?:rate|size|value|number|schedule|temperature|ratio|setting)s?\b"
    r"|\bwhat\s+(?:\w+\s+){0,3}(?:rate|size|value|number|schedule|temperature|ratio)s?\s+"
    r"(?:(?:and|or)\s+(?:\w+\s+){1,2})?(?:should|works?|to use)\b"
    r"|[设取用选]多少|多少(?:比较|合适|最好)|怎么选|如何选|怎么设|如何设|怎么配|如何配|取值|比例", re.IGNORECASE)
NUMBER = (r"(?<![A-Za-z0-9_./\\-])\d+(?:\.\d+)?(?:\s*[-~–]\s*\d+(?:\.\d+)?)?(?:e-?\d+)?"
          r"(?:\s*(?:%|x|×|[kKMB]\b))?(?![A-Za-z0-9_\\]|[.,]\d|\.\s)")  # "0.1", "3-4", "6.25e-5", "64", not "4. "
MEASURE = "周月层天年页篇章节讲行次倍维步轮"  # what a Chinese count counts: 四五十页, 三层, 第四讲
# ... or "两个月", "三层", "两种"; not 一个 or 一种, the indefinite article ("设计了一个路线图": a roadmap)
VALUE = re.compile(rf"{NUMBER}|[{CN_NUMERAL}半]+\s*个?\s*(?:[{MEASURE}]|小时)|(?!一[个种])[{CN_NUMERAL}半]+\s*[个种]")
# "CMU 11868", "Month 3", "阶段 2：": a name or a label; "Randomly 15%" is a value (no label is a percentage)
NOT_A_VALUE = re.compile(r"\b[A-Z][A-Za-z]*\s+\d[\d.\-]*(?![\d.\-]*\s*%)|\d+\s*[：:](?!\d)")
# Asks how many or how much ("多少维", "第几讲", "how many GPU hours"; not 哪几种, which ones): a value answers.
QUANTITY_ASK = re.compile(r"多少|第几|(?<!哪)几(?=[个层种次讲天周月年位条本门步块倍])"
                          r"|\bhow (?:many|much|long|big|large)\b", re.I)
VALUE_FIRST = 1.1  # a value-stating sentence's score, relative: a tie-breaker among sentences on topic
ASK_WORDS = set("rate size value number schedule temperature ratio setting best optimal ideal right good choos "
                "pick set tune use mani much 多少 几个 选 怎么 如何 设 配 取值 比例 好".split())


@dataclass(frozen=True)
class NameEvidence:
    known: list[str]
    unknown: list[str]


def question_names(question: str) -> list[str]:
    """Name-shaped words of a question, in order, without repeats (none starting with a digit)."""
    found = NAME_LIKE.findall(question) + SNAKE.findall(question) + VERSION.findall(question)
    return list(dict.fromkeys(n for n in found if not n[0].isdigit()))


def proper_nouns(question: str) -> list[str]:
    """Capitalised words inside a sentence (not its first word, nor one after a quote or a bracket)."""
    out = []
    for m in CAPITALISED.finditer(question):
        before = question[:m.start()].rstrip()
        if before and before[-1] not in SENTENCE_START and m.group().lower() not in STOP:
            out.append(m.group())
    return out


def name_evidence(question: str, vocab: set[str] | dict, stem: Callable[[str], str],
                  translate: Callable[[str], set[str]] = lambda w: set(), text: str = "",
                  links: str = "") -> NameEvidence:
    """Which of the question's names the index holds (as a token, or inside one: PKU-DAIR). With the
    index's ``text`` and ``links`` (folded), proper nouns it never writes (``writes``) count as unknown names
    too; one it writes, or holds translated, adds nothing (a capitalised word is often a plain word)."""
    joined = {w for w in WORD.findall(fold(question)) if w in vocab}
    known: list[str] = []
    unknown: list[str] = []
    names = question_names(question)
    for name in names:
        low = fold(name)
        inside = any(low in re.split(r"[-./_]", w) for w in joined)
        forms = {low, stem(low), low + "s", low.removesuffix("s")}  # a name and its plural: CNF, CNFs
        parts = [p for p in LINK_PIECE.split(low) if p]  # "jarvis73(.com)", a link's host; "cs336.github.io"
        in_link = all(p in vocab or p in link_pieces(links) for p in parts)
        (known if any(f in vocab for f in forms) or inside or in_link else unknown).append(name)
    for noun in (w for w in proper_nouns(question) if text and w not in names):
        if not writes(fold(noun), text, links) and not any(t in vocab for t in translate(fold(noun))):
            unknown.append(noun)
    return NameEvidence(known, unknown)


@lru_cache(maxsize=2)  # the current index's links (and the one it replaces): each refresh brings new ones
def link_pieces(links: str) -> frozenset[str]:
    """The whole pieces of the index's links (host and path parts): a name written only there, as one of
    them ("jarvis73", "d2l"), is known; as part of one it is not ("l1" in "…/html1/…")."""
    return frozenset(LINK_PIECE.split(links))


def writes(word: str, text: str, links: str) -> bool:
    """Whether the index writes ``word`` as a word of its own, or anywhere in a link: the roadmaps write
    "Lilian Weng" only in "lilianweng.github.io", and a list of institutes' "Hasso-Plattner-Institut" is no
    "Platt" (Platt scaling was answered from it)."""
    # The substring test first: the bounded search scans the whole text (15 ms with the linked pages) for a
    # word it never finds, and most proper nouns asked about are not there at all.
    alone = rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])"
    return word in links or (word in text and re.search(alone, text) is not None)


def asks_for_value(question: str) -> bool:
    """Whether ``question`` asks for a setting ("how many heads should…", "学习率设多少")."""
    return bool(VALUE_ASK.search(question))


def values_first(question: str, ranked: Sequence[RankedSentence]) -> list[RankedSentence]:
    """For a question asking how many or how much, the sentences that state a value rank a little higher
    (``VALUE_FIRST``): "Their dimensionality is 64…" answers "query 向量是多少维", "What are the query, key
    and value vectors?", which holds more of the question's words, does not."""
    if not QUANTITY_ASK.search(question):
        return list(ranked)
    boosted = [replace(r, score=r.score * VALUE_FIRST) if states_a_value(r.text) else r for r in ranked]
    return sorted(boosted, key=lambda r: -r.score)


def states_a_value(text: str) -> bool:
    """Whether ``text`` states a number or a count, a name's digits ("CMU 11868", "GPT-2") and links aside."""
    return VALUE.search(NOT_A_VALUE.sub(" ", URL_TEXT.sub(" ", MD_LINK.sub(" ", text)))) is not None


def setting_stated(question: str, terms: dict[str, float], hits: Sequence[Hit], is_rare: Callable[[str], bool],
                   tokenize: Callable[[str], list[str]], translate: Callable[[str], set[str]],
                   named: Collection[str] = ()) -> bool | None:
    """For a question asking for a setting: does a hit state one for what it names (``states_value``)?
    None for any other question. A name is read in the other script too (CNN → 卷积神经网络); the words
    of its long form, one by one, name nothing ("generative" is no GAN). A linked page states its own
    configuration ("the paper sets λ(t_n)=1"), which is advice only for a question naming it (``named``:
    the scopes the question names) or a model, paper or tool (GPT-1, iGPT-XL)."""
    if not asks_for_value(question):
        return None
    rare, said = rare_words(terms, is_rare), question_names(question)
    names = [{t, *(w for w in translate(t) if has_cjk(w) != has_cjk(t))}
             for n in said for t in tokenize(n) if t in rare]
    advice = [h for h in hits if h.chunk.kind != "linked" or said or h.chunk.doc_id in named]
    return states_value(advice, rare, tokenize, names)


def states_value(hits: Sequence[Hit], words: set[str], tokenize: Callable[[str], list[str]],
                 names: Sequence[set[str]] = ()) -> bool:
    """Whether a sentence of ``hits`` states a value beside one of ``words`` that is no name (what is
    set: batch, dropout, 温度) and, when the question names what it is set for (``names``: each rare name
    with its readings in the other language: GAN, CIFAR-10, CNN → 卷积神经网络), beside one of those too:
    GPT-1's dropout rate answers nothing about a CNN on CIFAR-10. A sentence is read with its page's
    title and its section's words; a heading states a value too ("阶段 2：Transformer 深度解析（3-4 周）")."""
    setting = words - set().union(*names)
    for h in hits:
        around = set(tokenize(f"{h.chunk.title} {h.chunk.section}"))
        for said in [*h.chunk.section.split(" > "), *(s.text for s in split_sentences(h.chunk.text, code=False))]:
            near = around | set(tokenize(said)) if states_a_value(said) else set()
            if near & setting and (not names or any(near & n for n in names)):
                return True
    return False


def rare_words(terms: dict[str, float], is_rare: Callable[[str], bool]) -> set[str]:
    """The question's terms (expansion included) that are rare in the index (``retrieval.rarity``),
    its numbers and value words ("rate", 多少) aside; a word the index never saw is rare."""
    return {t for t in terms if not t.isdigit() and t not in ASK_WORDS | STOP and is_rare(t)}
