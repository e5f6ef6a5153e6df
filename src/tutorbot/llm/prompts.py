"""Prompt templates as data: ``prompts/<name>.txt`` with ``${variable}`` placeholders.

A template is rendered with exactly its variables: a missing or an unexpected variable raises
``PromptError``, so a renamed placeholder can never silently reach the model as literal text.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from tutorbot.errors import TutorbotError


class PromptError(TutorbotError, KeyError):
    """A template is missing, or was rendered with the wrong variables."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain.
        return str(self.args[0])


@dataclass(frozen=True)
class Prompt:
    name: str
    template: string.Template

    @property
    def variables(self) -> set[str]:
        ids = set()
        for m in self.template.pattern.finditer(self.template.template):
            name = m.group("named") or m.group("braced")
            if name:
                ids.add(name)
        return ids

    def render(self, **values: object) -> str:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptError(
                f"prompt {self.name!r}: missing variables {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return self.template.substitute({k: str(v) for k, v in values.items()})


class PromptLibrary:
    """Loads templates from one directory, lazily, caching each file once."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._cache: dict[str, Prompt] = {}

    def get(self, name: str) -> Prompt:
        if name not in self._cache:
            path = self.directory / f"{name}.txt"
            if not path.is_file():
                raise PromptError(f"prompt {name!r} not found at {path}")
            self._cache[name] = Prompt(name, string.Template(path.read_text(encoding="utf-8")))
        return self._cache[name]

    def render(self, name: str, /, **values: object) -> str:
        return self.get(name).render(**values)
