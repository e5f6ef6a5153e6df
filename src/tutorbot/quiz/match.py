"""Lexical matching for quizzes: fold text, find a key in a passage, measure coverage of key points.

Generation, validation and grading all ask the same questions of text ("does this passage say
this key?", "how much of this point did the answer cover?"), so they share these helpers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tutorbot.lang import CJK_CHARS, PROSE_ZH, Language, detect_lang
from tutorbot.schemas import Chunk

CJK_RUN = re.compile(f"[a-z0-9]+|[{CJK_CHARS}]+")
NON_WORD = re.compile(r"[\W_]+")
MOJIBAKE = re.compile(r"[\u00c0-\u00ef][\u0080-\u00bf]|ï¼|â€")
MD_LINK = re.compile(r"!?\[((?:\\.|[^\[\]\\])*)\]\([^)]*\)")
QUOTED = re.compile(r"“(?:[^“”]|“[^“”]*”)*”|\"[^\"]*\"")  # one level of nested quotes: “… “生成” …”
IDS = re.compile(r"\b\d{4}\.\d{4,5}(?:v\d+)?\b|https?://|www\.", re.I)
STOP = set("the a an of to in on for and or is are be by with as at from that this it its what which who "
           "how does do was were 的 了 和 是 在 与 及 或".split())


# -- lexical helpers ------------------------------------------------------------------------

@lru_cache(maxsize=4096)  # passages are folded once per check; a bank checks each passage many times
def fold(text: str) -> str:
    """Comparison form: NFKC, case-folded, punctuation and markdown gone, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(NON_WORD.sub(" ", text).split())


def contains(text: str, key: str) -> bool:
    """``key`` occurs in ``text`` after folding; short latin keys need word edges ("LoRA" ∉ "QLoRA")."""
    k, t = fold(key), fold(text)
    squashed = k.replace(" ", "")
    if not k or squashed not in t.replace(" ", ""):
        return False  # cheap necessary condition: most calls end here
    if len(squashed) >= 6:
        return True  # long keys also match across spacing differences ("HuggingFace" vs "Hugging Face")
    head = r"(?<![a-z0-9])" if re.match(r"[a-z0-9]", k[0]) else ""
    tail = r"(?![a-z0-9])" if re.match(r"[a-z0-9]", k[-1]) else ""
    return re.search(head + r"\s*".join(re.escape(w) for w in k.split()) + tail, t) is not None


def garbled(text: str) -> bool:
    """Mis-decoded UTF-8 (mojibake) that must never be quoted to a learner."""
    return bool(MOJIBAKE.search(text))


def plain(line: str) -> str:
    """A markdown line as plain text: links keep their text; list markers and emphasis go."""
    text = MD_LINK.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), line)
    text = re.sub(r"^\s*(?:#+|>|[-*]|\d+\.)\s+", "", text)
    text = re.sub(r"\*\*|`|✅|~~|</?[A-Za-z][^<>]*>", "", text)  # and inline HTML tags
    text = re.sub(r"(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", "", text)  # *emphasis*, _emphasis_
    return re.sub(r"\s+", " ", text).strip()


def section_tail(chunk: Chunk, parts: int = 1) -> str:
    """The last heading(s) of a chunk without leading emoji, for question and explanation text."""
    tail = [re.sub(r"^[^\w（(]+", "", p).strip() for p in chunk.section.split(" > ")[-parts:]]
    return " > ".join(p for p in tail if p) or chunk.title


def short_title(title: str, limit: int = 80) -> str | None:
    """A title short enough for an option: long ones keep the part before the colon, if any."""
    if len(title) <= limit:
        return title
    head = title.split(":")[0].strip()
    return head if 4 <= len(head) <= limit else None


def variant(alias: str, term: str) -> bool:
    """Another spelling of the same term (plural/singular), not merely another name of the topic."""
    a, t = fold(alias).replace(" ", ""), fold(term).replace(" ", "")
    return a != t and a in (t + "s", t + "es", t[:-1])


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def supports(passage: str, key: str, anchor: str = "") -> bool:
    """The passage states ``key`` (next to ``anchor`` on one line when an anchor is given)."""
    if not anchor:
        return contains(passage, key)
    return any(contains(ln, anchor) and contains(ln, key) for ln in lines(passage))


def quote_for(passage: str, key: str, anchor: str = "") -> str:
    """The passage line that holds the key, for explanations."""
    for ln in lines(passage):
        if contains(ln, key) and (not anchor or contains(ln, anchor)):
            return ln.strip()[:300]
    return ""


def terms(text: str) -> set[str]:
    """Latin words and CJK character bigrams, for coverage of key points."""
    out: set[str] = set()
    for tok in CJK_RUN.findall(fold(text)):
        if tok[0].isascii():
            if len(tok) > 1 and tok not in STOP:
                out.add(tok)
        else:
            out |= {tok[i:i + 2] for i in range(len(tok) - 1)} or {tok}
    return out


def coverage(point: str, text: str) -> float:
    want = terms(point)
    return len(want & terms(text)) / len(want) if want else 0.0


def jaccard(a: str, b: str) -> float:
    def grams(s: str) -> set[str]:
        s = fold(s).replace(" ", "")
        return {s[i:i + 2] for i in range(len(s) - 1)} or {s}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


def language_of(text: str) -> Language:
    return detect_lang(text, zh_from=PROSE_ZH, strict=True)


def unquoted(text: str) -> str:
    """A question without the corpus text it quotes in “…”: the question's own words."""
    return QUOTED.sub(" ", text)


def names_ids(text: str) -> bool:
    """Text that mentions an arXiv id or a URL: not what a learner should be quizzed on."""
    return IDS.search(text) is not None
