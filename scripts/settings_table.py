"""Print the configuration table for the README from the Settings model (so the two never drift).

Usage: python scripts/settings_table.py [--write]  (--write replaces the README's table, between
the settings-table markers)
"""

import sys

from pydantic import BaseModel

from tutorbot.settings import PROJECT_ROOT, Settings


def rows(model: type[BaseModel], prefix: str = "TUTORBOT_"):
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from rows(ann, f"{prefix}{name.upper()}_")
            continue
        default = field.default_factory() if field.default_factory else field.default
        if isinstance(default, type(PROJECT_ROOT)):
            default = str(default).replace(str(PROJECT_ROOT), ".")
        yield f"| `{prefix}{name.upper()}` | `{default}` | {field.description} |"


def table() -> str:
    return "| variable | default | meaning |\n|---|---|---|\n" + "\n".join(rows(Settings)) + "\n"


def write_readme() -> None:
    readme = PROJECT_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- settings-table:start -->\n", "<!-- settings-table:end -->"
    i, j = text.index(start) + len(start), text.index(end)
    readme.write_text(text[:i] + table() + text[j:], encoding="utf-8")


if __name__ == "__main__":
    write_readme() if "--write" in sys.argv[1:] else print(table(), end="")
