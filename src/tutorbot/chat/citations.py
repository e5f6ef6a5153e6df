"""Answer post-processing: citations, attribution, URL filtering, sanitising, leak checks.

The model is small and forgetful, so nothing here trusts it: ``[n]`` markers are kept only when
``n`` was among the sources; an answer with no valid marker gets its sentences attributed to the
sources they overlap most; links not in the sources or the catalog are removed, and raw HTML and
images stripped, as a markdown renderer would find them (``chat.markdown``); text that echoes the
system prompt is redacted.
"""

from __future__ import annotations

import re
from collections.abc import Set

from tutorbot.chat import markdown
from tutorbot.lang import CJK_CHARS, fold_look_alikes
from tutorbot.schemas import Chunk, Citation, Hit

CITE = re.compile(r"\[(\d{1,3})\]")
SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")
TOKENS = re.compile(f"[{CJK_CHARS}]|[a-z0-9][a-z0-9\\-]+")


def tokens(text: str) -> set[str]:
    return set(TOKENS.findall(text.lower()))


def sanitize(text: str, allowed_urls: Set[str]) -> str:
    """No raw HTML, no images, no links outside ``allowed_urls`` (link text is kept).

    Links are found by a markdown parser set up like the UI's renderer, so every spelling of a link
    is checked. Text with nothing to remove comes back as it was; otherwise it is rewritten as escaped
    markdown (``markdown.rewrite``)."""
    def keep(url: str) -> bool:
        return _allowed(url, allowed_urls)

    return text if markdown.is_clean(text, keep) else markdown.rewrite(text, keep)


def _allowed(url: str, allowed: Set[str]) -> bool:
    from tutorbot.urls import normalise_url

    return url.startswith(("http://", "https://")) and normalise_url(url.rstrip(".,;:")) in allowed


# Function words: a short quote of the prompt counts only when it carries enough words besides these.
FUNCTION_WORDS = frozenset(
    "a an the of to in on at for from by with and or not no nor is are was be been it its this that these those as "
    "if then than so do does did you your i me my we our they them their he she his her there here which who what "
    "when where how all any each only never ever after before into out up down can could will would should may must "
    "say says said".split())


def leak_words(text: str) -> list[str]:
    """The words of ``text`` as a reader sees them: look-alike letters, width, case and invisible
    characters folded, punctuation and ``[n]`` citation markers dropped."""
    return re.findall(r"\w+", fold_look_alikes(CITE.sub(" ", text)))


def redact_leaks(text: str, secret: str, window: int = 8, short: int = 5, distinctive: int = 3) -> str:
    """Remove every sentence that takes part in quoting ``secret``: ``window`` consecutive words of
    it, or ``short`` consecutive words of its rules (every line but the first, which says what
    tutorbot is about in the words answers use too) of which ``distinctive`` are not function words.

    Words are compared as ``leak_words`` sees them (so "[1]" between the words, or a Cyrillic "о"
    for an "o", hides nothing), and across sentence boundaries: a prompt's short rules ("1. Use
    only facts from the sources.") are each under ``window`` words, but quoted in a row they are
    still the prompt.
    """
    grams = {window: _grams(leak_words(secret), window)}
    rules = _grams(leak_words(secret.partition("\n")[2]), short)
    grams[short] = {g for g in rules if sum(w not in FUNCTION_WORDS for w in g) >= distinctive}
    sentences = SENTENCE.split(text)
    stream = [(w, i) for i, s in enumerate(sentences) for w in leak_words(s)]
    leaking = {i for n, found in grams.items() for k in range(len(stream) - n + 1)
               if tuple(w for w, _ in stream[k:k + n]) in found for _, i in stream[k:k + n]}
    if not leaking:
        return text
    return " ".join(s for i, s in enumerate(sentences) if s and i not in leaking).strip()


def _grams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(max(0, len(words) - n + 1))}


def valid_markers(text: str, n_sources: int) -> tuple[str, list[int]]:
    """Drop ``[n]`` markers that point outside 1..n_sources; return the text and the valid numbers."""
    used: list[int] = []

    def keep(m: re.Match) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            if n not in used:
                used.append(n)
            return m.group(0)
        return ""

    return CITE.sub(keep, text), used


def verify_markers(text: str, hits: list[Hit], weak: float = 0.1, strong: float = 0.3) -> str:
    """Re-point a sentence's ``[n]`` when it shares (almost) nothing with source n but much with another."""
    sources = [tokens(h.chunk.embed_text) for h in hits]
    out = []
    for sentence in re.split(f"({SENTENCE.pattern})", text):  # separators kept: layout survives
        toks = tokens(CITE.sub("", sentence))
        scores = [len(toks & src) / max(len(toks), 1) for src in sources]
        best = max(range(len(scores)), key=scores.__getitem__) if scores else -1

        def fix(m: re.Match, scores: list[float] = scores, best: int = best) -> str:
            n = int(m.group(1))
            if 1 <= n <= len(scores) and scores[n - 1] < weak and scores[best] >= strong:
                return f"[{best + 1}]"
            return m.group(0)

        out.append(CITE.sub(fix, sentence) if sentence else "")
    return "".join(out)


def attribute(text: str, hits: list[Hit], min_overlap: float = 0.2) -> tuple[str, list[int]]:
    """Append ``[n]`` to each sentence that draws on source n (token overlap); always cite ≥1."""
    sources = [tokens(h.chunk.embed_text) for h in hits]
    out, used = [], []
    for sentence in [s for s in SENTENCE.split(text) if s.strip()]:
        toks = tokens(sentence)
        scores = [len(toks & src) / max(len(toks), 1) for src in sources]
        best = max(range(len(scores)), key=scores.__getitem__) if scores else -1
        if best >= 0 and scores[best] >= min_overlap:
            sentence = f"{sentence.rstrip()} [{best + 1}]"
            used.append(best + 1)
        out.append(sentence)
    if not used and hits:
        out.append("[1]")
        used.append(1)
    return " ".join(out), sorted(set(used))


def link_urls(chunk: Chunk) -> list[str]:
    """The links a chunk may put in front of a learner. A fetched page is untrusted: anyone can plant
    a link on it, so only the page's own address (a catalog entry) is offered, not the links in it."""
    if chunk.trusted:
        return chunk.urls
    return [chunk.source] if chunk.source.startswith(("http://", "https://")) else []


def build_citations(numbers: list[int], hits: list[Hit], snippet_chars: int = 4000) -> list[Citation]:
    """A citation per number, carrying its whole passage (a chunk is far under ``snippet_chars``): the
    UI opens it where the answer cites it."""
    cites = []
    for n in sorted(set(numbers)):
        c = hits[n - 1].chunk
        cites.append(Citation(n=n, source=c.source, section=c.section, title=c.title, urls=link_urls(c),
                              text=c.text[:snippet_chars], chunk_id=c.id))
    return cites


def finalize(text: str, hits: list[Hit], allowed_urls: set[str], system_prompt: str) -> tuple[str, list[Citation]]:
    """The whole pipeline: sanitize → redact leaks → keep valid markers or attribute → citations."""
    text = redact_leaks(sanitize(text, allowed_urls), system_prompt)
    text, used = valid_markers(verify_markers(text, hits), len(hits))
    if not used:
        text, used = attribute(text, hits)
    return text.strip(), build_citations(used, hits)
