"""Language of a text: the one CJK range, the one counting rule, each caller's thresholds by name.

One CJK character carries about as much meaning as one English word, so a text's "CJK share" is
CJK characters / (CJK characters + Latin words). Callers differ only in where they put the
cut-offs (a question is Chinese from a lower share than a roadmap document is), so the cut-offs
are named parameters here, not five separate detectors.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["zh", "en"]  # what a learner reads and writes
TextLang = Literal["zh", "en", "mixed"]  # what a document is written in

# CJK Unified Ideographs, Extension A, Compatibility Ideographs; Extensions B-F in the SIP.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
CJK = re.compile(f"[{CJK_CHARS}]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*")
URL_TEXT = re.compile(r"\(https?://[^)]*\)|https?://\S+")

LANGUAGE_NAME: dict[str, str] = {"en": "English", "zh": "Simplified Chinese (简体中文)"}

# Named cut-offs, one per kind of text (share of CJK from which a text counts as Chinese).
QUESTION_ZH = 0.45  # a learner's question or an answer: short, often English terms in Chinese
PROSE_ZH = 0.5  # a profile, a quiz item: Chinese only when CJK outweighs the Latin words
DOCUMENT_ZH, DOCUMENT_EN = 0.6, 0.2  # a roadmap document: zh / mixed / en
PAGE_ZH, PAGE_EN = 0.6, 0.1  # a fetched page: English pages quote little Chinese


def cjk_count(text: str) -> int:
    return len(CJK.findall(text))


def cjk_share(text: str, *, strip_urls: bool = False) -> float:
    """CJK characters / (CJK characters + Latin words); 0.0 for a text with neither."""
    if strip_urls:
        text = URL_TEXT.sub(" ", text)
    cjk, words = cjk_count(text), len(LATIN_WORD.findall(text))
    return cjk / (cjk + words) if cjk + words else 0.0


def detect_lang(text: str, *, zh_from: float = QUESTION_ZH, strict: bool = False) -> Language:
    """"zh" when the CJK share reaches ``zh_from`` (passes it, with ``strict``), else "en"."""
    share = cjk_share(text)
    return "zh" if (share > zh_from if strict else share >= zh_from) else "en"


def detect_lang_mixed(text: str, *, zh_from: float, en_to: float, strip_urls: bool = False) -> TextLang:
    """"zh" from ``zh_from``, "en" up to ``en_to``, "mixed" between."""
    share = cjk_share(text, strip_urls=strip_urls)
    if share >= zh_from:
        return "zh"
    return "en" if share <= en_to else "mixed"


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


# The hundred commonest Chinese surnames: a made-up word of two to four characters starting with one is
# most likely a person's name (宋飏, 何恺明, 李宏毅), not a coinage (好用, 大模型).
SURNAMES = frozenset("李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
                     "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
                     "戴莫孔向汤")


def name_shaped(word: str) -> bool:
    """Whether a Chinese word has the shape of a personal name: a common surname and one to three more characters."""
    return 2 <= len(word) <= 4 and word[0] in SURNAMES and all(CJK.match(c) for c in word)


CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMERAL = "零一二两三四五六七八九十"


def chinese_number(token: str) -> int | None:
    """A Chinese numeral up to 99 ("三", "十二", "二十五"), or None."""
    if not token or any(c not in CN_DIGIT and c != "十" for c in token) or token.count("十") > 1:
        return None
    if "十" not in token:
        return CN_DIGIT[token] if len(token) == 1 else None
    tens, _, ones = token.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (CN_DIGIT[tens] if tens else 1) * 10 + (CN_DIGIT[ones] if ones else 0)


KANA = re.compile("[\u3040-\u30ff]")
# Function words that tell English from the other Latin-script languages a model drifts into.
ENGLISH_WORDS = frozenset("the and of to is in that for with are on as this be it by or from".split())
OTHER_WORDS = frozenset("""le la les et est des une pour dans que qui sur pas avec der die das und ist
nicht mit ein eine zu den von auf el los las y es por para con una del""".split())


def language_matches(text: str, language: str) -> bool:
    """Whether a sentence is written in ``language`` (zh/en). Chinese prose names English titles
    and tools freely ("也可以看 The Annotated Transformer"), so a Chinese sentence is one with Chinese
    in it; an English one is not mostly Chinese, and not French or German either (same script)."""
    if len(KANA.findall(text)) >= 2:
        return False  # kana make it Japanese, whatever its kanji would say
    if language == "zh":
        return has_cjk(text) or len(LATIN_WORD.findall(text)) < 4
    if detect_lang(text, zh_from=QUESTION_ZH) != "en":
        return False
    words = [w.lower() for w in LATIN_WORD.findall(text)]
    return sum(w in OTHER_WORDS for w in words) <= sum(w in ENGLISH_WORDS for w in words)


# Letters of other scripts drawn like Latin ones ("bоb" with a Cyrillic о reads as "bob"); digits
# that pass for letters in names.
LOOK_ALIKES = str.maketrans("аеорсухіјѕԁһӏкмтвнАВЕКМНОРСТУХІЈЅαβεζηικμνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ01",
                            "aeopcyxijsdhlkmtbhABEKMHOPCTYXIJSabezniKmvoptuxABEZHIKMNOPTYXol")


def fold_look_alikes(text: str) -> str:
    """``text`` as it looks: width and compatibility forms (NFKC), accents, invisible format
    characters, look-alike letters of other scripts and case folded away. For comparing what a
    reader would take to be the same words, never for showing."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFKC", bare.translate(LOOK_ALIKES).casefold())
