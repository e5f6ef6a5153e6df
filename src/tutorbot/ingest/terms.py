"""Term-mining stage: bilingual terms from the corpus itself, mined at ingest, stored beside the index.

The roadmaps pair terms constantly — "混合精度训练（`torch.cuda.amp`）", "对齐（Alignment）",
"Mamba（状态空间模型）" — and pages define abbreviations ("Mixture-of-Experts (MoE)"). Those pairs,
plus a general dictionary (CC-CEDICT) cut down to the words the corpus uses, let a question in
one language reach a passage written in the other. Of a word's dictionary senses, those whose English
the corpus writes most are kept (架构: "architecture" and "framework", not "construct" and "build").
Nothing here is typed per question: a new corpus gets its own table. The table is re-mined only when
the indexed chunks change (``key``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tutorbot.files import write_atomic
from tutorbot.ingest.names import people
from tutorbot.lang import CJK_CHARS, has_cjk
from tutorbot.retrieval.tokenize import STOP, Tokenizer
from tutorbot.schemas import Chunk

ZH = f"[{CJK_CHARS}]"
OPEN, CLOSE = "[（(]", "[）)]"
# 中文（English）: the Chinese run right before a bracket that holds Latin text.
ZH_THEN_EN = re.compile(f"({ZH}{{2,12}})[*_`]*\\s*{OPEN}\\s*([^（）()\\n]{{2,60}}?)\\s*{CLOSE}")
# English（中文）: a Latin name right before a bracket that holds Chinese text.
EN_THEN_ZH = re.compile(f"([A-Za-z][A-Za-z0-9.\\-+/ ]{{1,40}}?)[*_`]*\\s*{OPEN}\\s*([^（）()\\n]{{2,30}}?)\\s*{CLOSE}")
ACRONYM = re.compile(r"((?:[A-Za-z][\w\-]*[ \-]){1,6}?)\(([A-Z][A-Za-z0-9]{1,9})\)")
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9.\-+ ]*[A-Za-z0-9+]|[A-Za-z]")
MAX_DICT_SENSES = 2  # senses kept per word: more ("take part in") add noise; which ones, the corpus decides
MAX_ZH_TERM = 6  # characters: 混合精度训练, 状态空间模型; longer runs are phrases, not terms


class TermPair(BaseModel):
    zh: str
    en: str
    count: int = Field(1, description="How often the corpus writes the pair.")


class TermTable(BaseModel):
    """What the retriever needs to bridge languages; every English key is stemmed tokens."""

    key: str = Field("", description="Hash of the chunk ids (content-addressed) and the miner's code.")
    pairs: list[TermPair] = Field(default_factory=list, description="Pairs the corpus writes itself.")
    acronyms: dict[str, list[str]] = Field(default_factory=dict, description="abbreviation → long forms.")
    en_to_zh: dict[str, list[str]] = Field(default_factory=dict, description="English phrase → corpus words.")
    zh_to_en: dict[str, list[str]] = Field(default_factory=dict, description="Chinese word → English words.")
    names: dict[str, list[str]] = Field(default_factory=dict, description="person the roadmaps name → in pinyin.")

    def zh_terms(self) -> list[str]:
        return sorted({*(p.zh for p in self.pairs), *self.names})


def table_key(chunks: Iterable[Chunk], glossary_zh: Iterable[str] = ()) -> str:
    """What a stored table was mined from: this code, the chunk ids, and the glossary words the tokenizer knew."""
    from tutorbot.ingest import names
    from tutorbot.retrieval import dictionary, tokenize

    h = hashlib.sha256()
    for module in (dictionary, tokenize, names):
        h.update(Path(module.__file__ or "").read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update("\n".join(sorted(c.id for c in chunks)).encode())
    h.update("\n".join(sorted(glossary_zh)).encode())
    return h.hexdigest()


def mine_pairs(texts: Iterable[str], tok: Tokenizer) -> list[TermPair]:
    """Bilingual pairs written as "中文（English）" or "English（中文）", most frequent first."""
    found: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for zh, inner in ZH_THEN_EN.findall(text):
            found.update((term, en) for en in _latin_parts(inner) if (term := _zh_term(zh, tok)))
        for en, inner in EN_THEN_ZH.findall(text):
            if re.fullmatch(f"{ZH}{{2,{MAX_ZH_TERM}}}", inner) and not has_cjk(en):
                found[(inner, en.strip(" -/"))] += 1
    return [TermPair(zh=zh, en=en, count=n) for (zh, en), n in found.most_common()]


def _zh_term(run: str, tok: Tokenizer) -> str:
    """The term at the end of a Chinese run: its longest tail of whole words within MAX_ZH_TERM
    characters ("逐步深入大语言模型" → "大语言模型")."""
    if len(run) <= MAX_ZH_TERM:
        return run
    term = ""
    for word in reversed(tok.words(run)):
        if len(word) + len(term) > MAX_ZH_TERM:
            break
        term = word + term
    return term if len(term) >= 2 else ""


def _latin_parts(inner: str) -> list[str]:
    """The Latin parts of a bracket that translates: one name, or two joined by "/"
    ("`DataParallel`/`DistributedDataParallel`"); a list of examples or a Chinese note is none."""
    if has_cjk(inner):
        return []
    parts = [p.strip(" `*_") for p in re.split(r"[/，,、；;]", inner)]
    if len(parts) > 2:
        return []
    return [p for p in parts if p and LATIN.fullmatch(p) and len(p) <= 40]


def mine_acronyms(texts: Iterable[str]) -> dict[str, list[str]]:
    """"Mixture-of-Experts (MoE)": the shortest run of words before the bracket whose initials
    spell the abbreviation."""
    out: dict[str, set[str]] = defaultdict(set)
    for text in texts:
        for words, abbr in ACRONYM.findall(text):
            if long := _expansion(re.split(r"[ \-]+", words.strip(" -")), abbr):
                out[abbr.lower()].add(long.lower())
    return {a: sorted(v) for a, v in sorted(out.items())}


def _expansion(words: list[str], abbr: str) -> str:
    letters = [c.lower() for c in abbr if c.isalpha()]
    for n in range(1, len(words) + 1):
        tail = words[-n:]
        initials = [w[0].lower() for w in tail if w and w.lower() not in {"of", "the", "and", "for", "from"}]
        if initials == letters or [w[0].lower() for w in tail] == letters:
            return " ".join(tail)
    return ""


def mine_terms(chunks: list[Chunk], glossary_zh: Iterable[str] = ()) -> TermTable:
    """The whole table for ``chunks``: mined pairs and acronyms, and the dictionary bridge."""
    texts, glossary_zh = [c.embed_text for c in chunks], list(glossary_zh)
    tok = Tokenizer(glossary_zh)
    pairs = mine_pairs(texts, tok)
    named = people((c.text for c in chunks if c.kind == "roadmap"), tok)
    tok.add_words([*(p.zh for p in pairs), *named])
    zh_vocab, en_vocab = _vocabularies(tok, texts)
    en_to_zh, zh_to_en = _dictionary_bridge(tok, zh_vocab, en_vocab)
    for zh, en in [*((p.zh, p.en) for p in pairs), *((z, form) for z, forms in named.items() for form in forms)]:
        en_to_zh.setdefault(phrase_key(tok, en), set()).add(zh)
        zh_to_en.setdefault(zh, set()).add(en)
    return TermTable(key=table_key(chunks, glossary_zh), pairs=pairs, acronyms=mine_acronyms(texts), names=named,
                     en_to_zh={k: sorted(v) for k, v in sorted(en_to_zh.items()) if k},
                     zh_to_en={k: sorted(v) for k, v in sorted(zh_to_en.items()) if v})


def phrase_key(tok: Tokenizer, phrase: str) -> str:
    """An English phrase as the tokenizer sees it: "Mixed precision" → "mix precis"."""
    return " ".join(t for t in tok(phrase) if not has_cjk(t))


def _vocabularies(tok: Tokenizer, texts: list[str]) -> tuple[set[str], Counter[str]]:
    """The corpus's Chinese words, and its English words with the number of texts each occurs in."""
    df = Counter(t for text in texts for t in set(tok(text)))
    return {w for w in df if has_cjk(w)}, Counter({w: n for w, n in df.items() if not has_cjk(w)})


def _dictionary_bridge(tok: Tokenizer, zh_vocab: set[str],
                       en_vocab: Counter[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """English phrase (stemmed) → corpus Chinese words; Chinese word → English words the corpus uses."""
    from tutorbot.retrieval.dictionary import entries

    en_to_zh: dict[str, set[str]] = defaultdict(set)
    zh_to_en: dict[str, set[str]] = defaultdict(set)
    for e in entries():
        if e.derived and (tok.words(e.zh) != [e.zh] or tok.unlisted(e.zh)):
            continue  # a made-up word the segmenter's dictionary lacks (最京) is a token of no question
        glosses = _senses(tok, e.glosses, en_vocab)
        if e.zh in zh_vocab:
            for key in {k for g in glosses for k in _gloss_keys(tok, g)}:
                en_to_zh[key].add(e.zh)
        known = {w for g in glosses for w in g.split() if tok.stem(w) in en_vocab and w not in STOP}
        if known and len(e.zh) >= 2:
            zh_to_en[e.zh] |= known
    return en_to_zh, zh_to_en


def _senses(tok: Tokenizer, glosses: tuple[str, ...], en_df: Counter[str]) -> tuple[str, ...]:
    """The senses of a word the bridge keeps: the ``MAX_DICT_SENSES`` the corpus's English uses most
    (架构: "architecture", not "construct"), dictionary order breaking ties."""
    def used(g: str) -> int:
        return min((en_df.get(tok.stem(w), 0) for w in g.split()), default=0)
    ranked = sorted(range(len(glosses)), key=lambda i: (-used(glosses[i]), i))[:MAX_DICT_SENSES]
    return tuple(glosses[i] for i in sorted(ranked))


def _gloss_keys(tok: Tokenizer, gloss: str) -> list[str]:
    """A gloss as a phrase key, and each of its words when it is short ("computer memory")."""
    stems = [t for t in tok(gloss) if not has_cjk(t)]
    return [" ".join(stems), *(stems if len(stems) == 2 else [])] if stems else []


def load_terms(path: Path) -> TermTable | None:
    try:
        return TermTable.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, json.JSONDecodeError):
        return None


def ensure_terms(path: Path, chunks: list[Chunk], glossary_zh: Iterable[str] = ()) -> TermTable:
    """The stored table when it was mined from these chunks by this code; else mine and store it."""
    stored, glossary_zh = load_terms(path), list(glossary_zh)
    if stored is not None and stored.key == table_key(chunks, glossary_zh):
        return stored
    table = mine_terms(chunks, glossary_zh)
    write_atomic(path, table.model_dump_json())
    return table
