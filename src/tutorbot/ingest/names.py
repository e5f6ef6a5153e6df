"""Name-mining stage (part of term mining): the people the roadmaps name in Chinese, as a learner writes
them in English.

The roadmaps write 何恺明, 李宏毅 and 李沐 in Chinese only, and a learner asks about "Kaiming He's course"
or "Li Hongyi's homework": "Kaiming" was a name the index had never written, so the question read as one
the corpus does not cover. Each name-shaped word no dictionary holds (``lang.name_shaped``,
``Tokenizer.unlisted``: 宋飏, not 好用) is romanised with pypinyin, the given name joined ("kaiming"), with
the surname before and after it. A one-syllable given name (李沐: "mu") counts only with the surname: alone
it names too much. A name written in another romanisation (Hung-yi Lee, Andrew Ng) is not reached.
"""

from __future__ import annotations

from collections.abc import Iterable

from tutorbot.lang import name_shaped
from tutorbot.retrieval.tokenize import Tokenizer


def people(texts: Iterable[str], tok: Tokenizer) -> dict[str, list[str]]:
    """Each name-shaped word of ``texts`` no dictionary holds → its romanised forms, in text order."""
    found = dict.fromkeys(w for text in texts for w in tok.unlisted(text) if name_shaped(w))
    return {name: romanised(name) for name in found}


def romanised(name: str) -> list[str]:
    """The ways a learner writes a Chinese name in Latin letters: 何恺明 → kaiming he, he kaiming, kaiming."""
    from pypinyin import lazy_pinyin

    surname, *rest = lazy_pinyin(name)
    given = "".join(rest)
    return [f"{given} {surname}", f"{surname} {given}", *([given] if len(rest) > 1 else [])]
