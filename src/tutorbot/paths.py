"""Foundation: where tutorbot finds its corpus and prompts, and where it keeps its data dir.

One rule for two ways of running. From a source checkout (the editable install `make run` and
`make test` use) the corpus and prompts are the repository's top-level folders and the data dir is
the checkout's ``.data``. From an installed wheel they are the copies ``setup.py`` bundles into the
package (``tutorbot/_bundled``), read through ``importlib.resources``, and the data dir is ``./.data``
when the working directory has one, else the platform's user data dir: never the install dir.
Nothing is decided at import time beyond where this file lies.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the repository, when running from a checkout
BUNDLED = "_bundled"  # the package folder setup.py copies corpus/ and prompts/ into


def source_checkout() -> bool:
    """True when this package runs from the repository's src/ (not from an installed wheel)."""
    here = Path(__file__).resolve().parent
    return here == PROJECT_ROOT / "src" / "tutorbot" and (PROJECT_ROOT / "pyproject.toml").is_file()


def bundled_dir(name: str) -> Path:
    """``corpus`` or ``prompts``: the checkout's top-level folder, else the copy inside the package."""
    if source_checkout():
        return PROJECT_ROOT / name
    # Wheels are installed unpacked, so the package's Traversable is a real folder on disk.
    return Path(str(files("tutorbot").joinpath(BUNDLED, name)))


def default_corpus_dir() -> Path:
    return bundled_dir("corpus")


def default_prompts_dir() -> Path:
    return bundled_dir("prompts")


def default_data_dir() -> Path:
    """The checkout's .data; for an installed copy ./.data if it exists, else the user data dir."""
    if source_checkout():
        return PROJECT_ROOT / ".data"
    here = Path.cwd() / ".data"
    return here if here.is_dir() else user_data_dir()


def user_data_dir() -> Path:
    """The platform's per-user data folder for tutorbot (XDG on Linux), without a dependency for it."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "tutorbot"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "tutorbot"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share") / "tutorbot"


@dataclass(frozen=True)
class DataPaths:
    """Every file and folder tutorbot keeps in its data dir, named once."""

    root: Path

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.json"

    @property
    def chroma(self) -> Path:
        return self.root / "chroma"

    @property
    def chroma_db(self) -> Path:
        return self.chroma / "chroma.sqlite3"  # the embedded index's database (health checks read it)

    @property
    def links(self) -> Path:
        return self.root / "links"

    @property
    def ingest_manifest(self) -> Path:
        return self.root / "ingest-manifest.json"

    @property
    def terms(self) -> Path:
        return self.root / "terms.json"

    @property
    def second_view(self) -> Path:
        return self.root / "second-view.npz"  # the second dense view's chunk vectors (retrieval.second_view)

    @property
    def line_view(self) -> Path:
        return self.root / "line-view.npz"  # the roadmap lines' vectors under that view's model (retrieval.line_view)

    @property
    def learner_db(self) -> Path:
        return self.root / "learners.sqlite3"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def llm_capacity(self) -> Path:
        return self.root / "llm-capacity.json"

    @property
    def vllm_pid(self) -> Path:
        return self.root / "run" / "vllm.pid"

    @property
    def vllm_log(self) -> Path:
        return self.root / "logs" / "vllm.log"
