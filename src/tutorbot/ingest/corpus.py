"""Ingestion stage 1: text files in the corpus directory → cleaned, de-duplicated ``Document``s.

Each ``.md``/``.markdown``/``.txt`` file is decoded, its mojibake repaired (UTF-8 that a
Windows code page mangled), Unicode- and whitespace-normalised and stripped of YAML front
matter. Files that cannot be used are reported in ``CorpusLoad.skipped``; one that was read
before keeps that last good version (one bad byte must not delete a roadmap from the index).
Duplicates are merged and reported in ``CorpusLoad.merged``. Nothing here chunks or indexes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from tutorbot.errors import TutorbotError
from tutorbot.ingest.mojibake import Lexicon, repair_text
from tutorbot.lang import DOCUMENT_EN, DOCUMENT_ZH, TextLang, detect_lang_mixed
from tutorbot.schemas import Document

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
NEAR_DUPLICATE = 0.9  # shingle Jaccard at which two files count as the same text
SAME_POST = 0.5  # lower bar for two exports of one post (same front-matter title and date)


class Skipped(BaseModel):
    path: str
    reason: str
    kept: bool = Field(False, description="The file's last good version (from an earlier run) is used instead.")

    def line(self) -> str:
        kept = "; its last good version stays indexed until the file is fixed" if self.kept else ""
        return f"{self.path}: {self.reason}{kept}"


class Merge(BaseModel):
    kept: str
    dropped: str
    similarity: float
    reason: str = ""


class FileRecord(BaseModel):
    """What reading one file produced, keyed by the SHA-256 of its bytes (before any merge)."""

    sha256: str
    document: Document
    repaired: bool = False


class CorpusLoad(BaseModel):
    documents: list[Document]
    skipped: list[Skipped] = []
    merged: list[Merge] = []
    files: dict[str, FileRecord] = {}


class CorpusFileError(TutorbotError, ValueError):
    """A corpus file that cannot be ingested; the message says why and what to do."""


# --- cleaning ----------------------------------------------------------------------------
# Zero-width space, word joiner, BOM and soft hyphen carry no text; ZWJ/ZWNJ are kept
# because they glue emoji sequences and shape some scripts.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def normalise_text(text: str) -> str:
    """NFC, no invisible characters, tabs in indentation as 4 spaces, tidy blank lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)].expandtabs(4)
        body = "".join(" " if c == "\t" or unicodedata.category(c) == "Zs" else c for c in body)
        if body.startswith("|"):  # padding inside table rows is only visual; it costs tokens
            body = re.sub(r"-{4,}", "---", re.sub(r" {2,}", " ", body))
        lines.append((indent + body).rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML front matter as strings (lists joined with ', ') and the text without it."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.load(m.group(1), Loader=yaml.BaseLoader)  # BaseLoader keeps dates as text
    except yaml.YAMLError:
        return {}, text  # not YAML after all: a thematic break, leave the text alone
    if not isinstance(data, dict):
        return {}, text
    meta = {str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in data.items()}
    return meta, text[m.end():].lstrip("\n")


def document_lang(text: str) -> TextLang:
    """zh / en / mixed for a roadmap document (URLs are not English words)."""
    return detect_lang_mixed(text, zh_from=DOCUMENT_ZH, en_to=DOCUMENT_EN, strip_urls=True)


# --- reading ------------------------------------------------------------------------------
def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw = raw.decode("utf-16", "replace").encode("utf-8")
    head = raw[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > 0.1 * max(len(head), 1):
        raise CorpusFileError("binary file (NUL or control bytes), not text; remove it from the corpus")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusFileError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                              "re-save the file as UTF-8") from None
    if not text.strip():
        raise CorpusFileError("empty or whitespace-only file")
    return text


def _read_bytes(path: Path, max_file_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            raise CorpusFileError(f"too large ({size} bytes > max_file_bytes {max_file_bytes}); "
                                  "split it or raise TUTORBOT_INDEX_MAX_FILE_BYTES")
        return path.read_bytes()
    except OSError as exc:
        raise CorpusFileError(f"cannot read file: {exc.strerror}") from None


def _parse(raw: bytes, path: Path, rel_id: str, lexicon: Lexicon | None) -> tuple[Document, bool]:
    """Decoded, repaired, normalised document, and whether the repair changed anything."""
    text = _decode(raw)
    fixed = repair_text(text, lexicon)
    meta, body = split_front_matter(normalise_text(fixed))
    if not body.strip():
        raise CorpusFileError("no text besides front matter")
    h1 = _H1.search(body)
    title = meta.get("title") or (re.sub(r"[*_`]+", "", h1.group(1)).strip() if h1 else "") or path.stem
    doc = Document(id=rel_id, title=title, text=body, lang=document_lang(body), meta=meta,
                   content_hash=hashlib.sha256(body.encode()).hexdigest())
    return doc, fixed != text


def _read(path: Path, rel_id: str, max_file_bytes: int, lexicon: Lexicon | None) -> tuple[Document, bool]:
    return _parse(_read_bytes(path, max_file_bytes), path, rel_id, lexicon)


def _read_record(path: Path, rel_id: str, max_file_bytes: int, lexicon: Lexicon | None,
                 known: FileRecord | None) -> FileRecord:
    """The file's record: ``known`` again when the bytes are the same, else a fresh read."""
    raw = _read_bytes(path, max_file_bytes)
    digest = hashlib.sha256(raw).hexdigest()
    if known is not None and known.sha256 == digest:
        return known
    doc, repaired = _parse(raw, path, rel_id, lexicon)
    return FileRecord(sha256=digest, document=doc, repaired=repaired)


def read_document(path: Path, rel_id: str, lexicon: Lexicon | None = None,
                  max_file_bytes: int = 2_000_000) -> Document:
    """One cleaned document; raises ``CorpusFileError`` for files that cannot be used."""
    return _read(path, rel_id, max_file_bytes, lexicon)[0]


# --- duplicates ------------------------------------------------------------------------------
def shingles(text: str, k: int = 5) -> set[str]:
    flat = re.sub(r"\s+", " ", text)
    return {flat[i : i + k] for i in range(max(len(flat) - k + 1, 1))}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 5-gram sets."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _duplicate_reason(a: Document, b: Document) -> tuple[str, float]:
    if a.content_hash == b.content_hash:
        return "exact duplicate", 1.0
    sim = similarity(a.text, b.text)
    if sim >= NEAR_DUPLICATE:
        return "near duplicate", sim
    same_post = a.meta.get("title") and (a.meta.get("title"), a.meta.get("date")) == (
        b.meta.get("title"), b.meta.get("date"))
    if same_post and sim >= SAME_POST:
        return "another export of the same post (front-matter title and date)", sim
    return "", sim


def _merge_duplicates(loaded: list[tuple[Document, bool]]) -> tuple[list[Document], list[Merge]]:
    """Keep one document per duplicate group.

    Preference: text that needed no encoding repair, then more front-matter fields (a newer
    export has e.g. ``lastmod``), then longer text, then the smaller id.
    """
    ranked = sorted(loaded, key=lambda d: (d[1], -len(d[0].meta), -len(d[0].text), d[0].id))
    kept: list[Document] = []
    merges: list[Merge] = []
    for doc, _ in ranked:
        for keeper in kept:
            reason, sim = _duplicate_reason(keeper, doc)
            if reason:
                keeper.merged_from.append(doc.id)
                merges.append(Merge(kept=keeper.id, dropped=doc.id, similarity=round(sim, 4), reason=reason))
                break
        else:
            kept.append(doc)
    return sorted(kept, key=lambda d: d.id), merges


def load_corpus(corpus_dir: Path, max_file_bytes: int = 2_000_000, lexicon: Lexicon | None = None,
                known: Mapping[str, FileRecord] | None = None,
                last_good: Mapping[str, FileRecord] | None = None) -> CorpusLoad:
    """Every text file under ``corpus_dir`` (recursively), cleaned and de-duplicated.

    ``known`` holds the records of an earlier run (``CorpusLoad.files``): a file whose bytes
    hash the same is not decoded or repaired again. A file that cannot be read falls back to its
    record in ``last_good`` (default: ``known``), and is still reported as skipped. Duplicates are
    always merged afresh, since whether two files merge depends on both of them.
    """
    if not corpus_dir.is_dir():
        raise CorpusFileError(f"{corpus_dir}: corpus directory not found; set TUTORBOT_CORPUS_DIR")
    known = known or {}
    last_good = known if last_good is None else last_good
    records: dict[str, FileRecord] = {}
    skipped: list[Skipped] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES):
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            records[rel] = _read_record(path, rel, max_file_bytes, lexicon, known.get(rel))
        except CorpusFileError as exc:
            skip = Skipped(path=rel, reason=str(exc), kept=rel in last_good)
            log.warning("skipping %s", skip.line())
            skipped.append(skip)
            if skip.kept:
                records[rel] = last_good[rel]
    # Merging fills ``merged_from``: it works on copies so the records stay as read.
    documents, merged = _merge_duplicates([(r.document.model_copy(deep=True), r.repaired) for r in records.values()])
    return CorpusLoad(documents=documents, skipped=skipped, merged=merged, files=records)
