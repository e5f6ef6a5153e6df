"""Tokenise stage: the one word splitter that BM25, term mining, sentence ranking and grounding share.

Latin text: lower-cased, accents folded (Pokémon → pokemon), Snowball-stemmed (checkpointing →
checkpoint), so a learner's word form meets the corpus's. Chinese: jieba's search mode, on our
own jieba instance taught the domain terms (mined and hand-written) so that e.g. 后训练 stays one
rare token instead of 后 + the very common 训练.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from tutorbot.lang import CJK_CHARS, CN_NUMERAL, chinese_number, has_cjk

WORD = re.compile(r"[a-z0-9][a-z0-9.\-+#_]*[a-z0-9+#]|[a-z0-9]")
NOT_CJK = re.compile(f"[^{CJK_CHARS}]+")
STOP = set("the a an of to in on for and or is are be what which who how does do i my me with about "
           "should can there any it its this that these those was were has have had by from at as into "
           "than then so if not no but just also very much more most some such you your we our they them "
           "their he she his her will would could did done get got "
           "的 了 和 是 在 有 什么 哪些 吗 呢 我 你 与 及 或 如何 怎么 推荐 一些 那 这 个 吧 啊 里 都 也 就 还 要 "
           "把 被 让 给 对 从 到 说 看 会 能 想 用 该 哪 那个 这个 那份 那篇 一下".split())
STEMMABLE = re.compile(r"[a-z]{4,}")
# An ordinal also reads as its number: the headings write "阶段 3" and "Stage 3" where a learner says
# "第三阶段" or "the third stage".
ORDINAL_WORDS = {w: str(n) for n, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split(), 1)}
ORDINAL_EN = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
ORDINAL_ZH = re.compile(f"第([{CN_NUMERAL}]{{1,3}})")
# So does a count of time, and a range reads as each number in it: the roadmaps write "Month 1-2",
# "Month 4-5" and "第 5-8 周" where a learner says "头两个月", "第四、五个月" or "weeks six to eight".
CARDINAL_WORDS = {w: n for n, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split(), 1)}
_ZH = f"[{CN_NUMERAL}]{{1,3}}"
_EN = "|".join(CARDINAL_WORDS)
_UNIT_EN = r"(?:months?|weeks?|days?|years?|hours?)"
QUANTITY_ZH = re.compile(f"({_ZH})(?:\\s*[到至~、-]\\s*({_ZH}))?\\s*个?\\s*(?:月|周|星期|天|年|小时)")
QUANTITY_EN = re.compile(f"\\b({_EN})(?:\\s*(?:to|or|-)\\s*({_EN}))?\\s+{_UNIT_EN}\\b"
                         f"|\\b{_UNIT_EN}\\s+({_EN})(?:\\s*(?:to|and|-)\\s*({_EN}))?\\b")
NUMBER_RANGE = re.compile(r"(?<![a-z0-9.\-])(\d{1,4})\s*[-–~]\s*(\d{1,4})(?![a-z0-9.\-])")  # not GPT-3-4, 2024-01-15
MAX_RANGE = 12  # "Weeks 1-4" holds week 3; a range of years ("2017-2023") says its ends


def fold(text: str) -> str:
    """Lower case without accents: "Pokémon" and "pokemon" are one word."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


class Tokenizer:
    """Stemmed Latin words and jieba search-mode Chinese words, stop words dropped."""

    def __init__(self, words: Iterable[str] = ()):
        import jieba
        import snowballstemmer

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()  # ours, not jieba's global one
        self.add_words(words)
        self._stem = snowballstemmer.stemmer("english").stemWord
        self._stems: dict[str, str] = {}

    def add_words(self, words: Iterable[str]) -> None:
        """Teach jieba domain terms (each stays one token, besides its search-mode pieces)."""
        for w in words:
            if has_cjk(w) and " " not in w:
                self._jieba.add_word(w, freq=20000)

    def __call__(self, text: str) -> list[str]:
        text = fold(text)
        words = WORD.findall(text)
        toks = [self.stem(w) for w in words]
        if has_cjk(text):
            toks += [t for t in self._jieba.lcut_for_search(NOT_CJK.sub(" ", text)) if t.strip()]
        return [t for t in toks if t not in STOP] + ordinals(text, words) + quantities(text)

    def count(self, text: str) -> int:
        """How many tokens retrieval handles for ``text`` (search-mode pieces included)."""
        return len(self(text))

    def stem(self, word: str) -> str:
        if not STEMMABLE.fullmatch(word):
            return word
        if word not in self._stems:
            self._stems[word] = self._stem(word)
        return self._stems[word]

    def unlisted(self, text: str) -> list[str]:
        """Chinese words of ``text`` (two characters or more) that jieba's dictionary does not hold: the
        segmenter made them up from context: names (宋飏, 李宏毅), coinages (大模型), everyday words it lacks (好用)."""
        return [w for w in self.words(text) if len(w) >= 2 and has_cjk(w) and w not in self._jieba.FREQ]

    def words(self, text: str) -> list[str]:
        """Chinese words of ``text`` as jieba cuts them (precise mode: no overlapping pieces)."""
        return [t for t in self._jieba.lcut(NOT_CJK.sub(" ", text)) if t.strip()]


CJK_RUN = re.compile(f"[{CJK_CHARS}]{{3,}}")
LONG_WORD = (3, 6)  # the lengths of the corpus's Chinese words looked for inside a question


def words_inside(text: str, vocabulary: set[str] | dict[str, int]) -> list[str]:
    """Words of ``vocabulary`` (three to six Chinese characters) written inside ``text``: the question
    "何恺明教什么课" is cut 何恺 + 明教, where the corpus's own text was cut 何恺明."""
    low, high = LONG_WORD
    found = (run[i:i + n] for run in CJK_RUN.findall(text) for n in range(low, high + 1)
             for i in range(len(run) - n + 1))
    return [w for w in dict.fromkeys(found) if w in vocabulary]


def ordinals(text: str, words: list[str]) -> list[str]:
    """The numbers the ordinals of ``text`` say ("第十二" → "12", "third" → "3", "2nd" → "2")."""
    found = [ORDINAL_WORDS[w] for w in words if w in ORDINAL_WORDS] + ORDINAL_EN.findall(text)
    return found + [str(n) for m in ORDINAL_ZH.finditer(text) if (n := chinese_number(m.group(1))) is not None]


def quantities(text: str) -> list[str]:
    """The numbers a count of time or a range says ("两个月" → "2", "三四周" and "three to four weeks" → "3",
    "4", "Month 1-2" → "1", "2"); a long range, or one of years, says its ends only."""
    zh = [(*zh_count(m.group(1)), *zh_count(m.group(2) or "")) for m in QUANTITY_ZH.finditer(text)]
    en = [[CARDINAL_WORDS[c] for c in m.groups() if c] for m in QUANTITY_EN.finditer(text)]
    ranges = [[int(c) for c in m.groups()] for m in NUMBER_RANGE.finditer(text)]
    return [n for said in [*zh, *en, *ranges] if said for n in spanned(min(said), max(said))]


def zh_count(numeral: str) -> list[int]:
    """A Chinese count: one number ("十二"), two neighbours ("三四": three or four), or none."""
    if (n := chinese_number(numeral)) is not None:
        return [n]
    pair = [n for c in numeral if (n := chinese_number(c)) is not None]
    return pair if len(numeral) == len(pair) == 2 else []


def spanned(low: int, high: int) -> list[str]:
    """Each number from ``low`` to ``high`` when the range is short (and no range of years), else its ends."""
    if 0 <= high - low <= MAX_RANGE and high < 100:
        return [str(n) for n in range(low, high + 1)]
    return [str(low), str(high)]


NAME_LIKE = re.compile(r"\b(?=[A-Za-z0-9.\-]*[A-Za-z])(?:[A-Za-z]+[0-9][A-Za-z0-9.\-]*|[0-9]+[A-Za-z][A-Za-z0-9.\-]*"
                       r"|[A-Z]{3,}[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)\b")


def name_terms(texts: Iterable[str]) -> set[str]:
    """Words shaped like names of courses, papers and tools (CS336, nanoGPT, LoRA, HELM, DeepSeek),
    lower-cased: a question naming one is about the corpus even when it says little else."""
    return {m.lower() for t in texts for m in NAME_LIKE.findall(t) if len(m) >= 3}


def names_in(text: str) -> set[str]:
    """The name-shaped words of one text, lower-cased."""
    return name_terms([text])


def mentions_name(query: str, names: set[str]) -> bool:
    return any(w in names for w in WORD.findall(query.lower()))


# jieba's search mode writes a long word and its pieces (编码器: 编码, 码器, 编码器), so a Chinese question says
# each long word two or three times over where its English translation says it once: "自回归模型和编码器-解码器模型
# 有什么区别" found Chinese lines on 回归 and 编码 above the English "Autoregressive vs. Encoder-Decoder Models".
PIECE = 0.5  # the weight of a piece of a longer word of the question


def piece_weight(token: str, tokens: list[str]) -> float:
    """``PIECE`` for a Chinese token inside a longer token of the question (回归 in 自回归), else 1."""
    return PIECE if has_cjk(token) and any(token != t and token in t for t in tokens) else 1.0
