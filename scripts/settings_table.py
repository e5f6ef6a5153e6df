"""Print the configuration table for the README from the Settings model (so the two never drift).

Usage: python scripts/settings_table.py  (README: between the settings-table markers)
"""

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


if __name__ == "__main__":
    print("| variable | default | meaning |\n|---|---|---|")
    print("\n".join(rows(Settings)))
