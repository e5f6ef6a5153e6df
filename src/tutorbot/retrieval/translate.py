"""Query-translation stage: the served model restates a question in the corpus's other language.

A 7B–32B model translates a learner's question well, and its translation finds passages that
dictionary terms miss; the bundled 135M model cannot (it loops and invents), so this is off
unless the model is big enough: ``retrieval.translate_queries`` = ``auto`` (on when the served
model's name states at least ``translate_min_params_b`` billion parameters), ``on`` or ``off``.
The translation only adds search terms — what a learner reads is still checked against sources —
and any failure (model down, wrong language, runaway output) falls back to no translation.
One short call per distinct question, cached in memory.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from tutorbot.lang import LANGUAGE_NAME, QUESTION_ZH, detect_lang
from tutorbot.llm.client import LLMClient, LLMError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.settings import Settings

PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([bBmM])(?![A-Za-z])")
CACHE_SIZE = 1024
MAX_GROWTH = 4  # a translation longer than 4x the question (plus slack) is a runaway, not a translation


def model_params_b(model: str) -> float | None:
    """Billions of parameters a model name states ("Qwen2.5-7B-Instruct" → 7, "smollm2-135m" → 0.135)."""
    sizes = [float(n) / (1000 if unit.lower() == "m" else 1) for n, unit in PARAMS.findall(model)]
    return max(sizes) if sizes else None


def translation_mode(settings: Settings) -> tuple[bool, str]:
    """Whether queries are translated, and why (for ``tutorbot doctor``)."""
    mode = settings.retrieval.translate_queries
    if mode != "auto":
        return mode == "on", f"{mode} (TUTORBOT_RETRIEVAL_TRANSLATE_QUERIES)"
    size = model_params_b(settings.llm.model)
    floor = settings.retrieval.translate_min_params_b
    if size is None:
        return False, f"off: the size of {settings.llm.model} is not in its name (set TRANSLATE_QUERIES=on)"
    verdict = "on" if size >= floor else "off"
    return size >= floor, f"{verdict}: {settings.llm.model} has {size:g}B parameters (auto from {floor:g}B)"


class QueryTranslator:
    """Restates a question in the other language with the served model; cached per question."""

    def __init__(self, llm: LLMClient, prompts: PromptLibrary, max_tokens: int = 96):
        self.llm, self.prompts, self.max_tokens = llm, prompts, max_tokens
        self._cache: OrderedDict[str, str] = OrderedDict()

    def translate(self, question: str) -> str:
        """The question in the other language, or "" when the model cannot give a usable one."""
        if question in self._cache:
            self._cache.move_to_end(question)
            return self._cache[question]
        text = self._ask(question)
        self._cache[question] = text
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return text

    def _ask(self, question: str) -> str:
        target = "en" if detect_lang(question, zh_from=QUESTION_ZH) == "zh" else "zh"
        prompt = self.prompts.render("query_translate", language_name=LANGUAGE_NAME[target], question=question)
        try:
            reply = self.llm.complete([{"role": "user", "content": prompt}], max_tokens=self.max_tokens,
                                      temperature=0.0).text
        except LLMError:
            return ""  # retrieval goes on with the deterministic expansion
        line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
        runaway = len(line) > MAX_GROWTH * len(question) + 40
        return line if line and not runaway and detect_lang(line, zh_from=QUESTION_ZH) == target else ""
