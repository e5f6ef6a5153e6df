"""What the sections share: a temp data root, indexed Containers and one private vLLM server.

Everything is built on first use, so ``--only quality`` never starts vLLM. The server is started
early (``start_llm``) so its warm-up overlaps with indexing, and always stopped by ``close``.
The full index (roadmaps + ~70 linked pages, several thousand chunks) takes many minutes to embed
on two cores, so unless ``fresh`` is set it lives in ``<data dir>/bench-cache/full`` and each run
brings it up to date with an incremental ingest (zero embedding calls when nothing changed).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from tutorbot.container import Container
from tutorbot.ingest.pipeline import IngestReport
from tutorbot.llm import server as serve
from tutorbot.llm.client import OpenAICompatClient
from tutorbot.settings import PROJECT_ROOT, Settings

SHARED = PROJECT_ROOT.parent / "shared"
DEV_QA = SHARED / "eval" / "dev_qa.jsonl"
MIRROR = SHARED / "linked"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BenchContext:
    """Temp dirs, containers and the LLM server of one benchmark run."""

    def __init__(self, root: Path | None = None, log: Callable[[str], None] = print, fresh: bool = False):
        self.root = root or Path(tempfile.mkdtemp(prefix="tutorbot-bench-"))
        self.cache = None if fresh else Settings(_env_file=None).data_dir / "bench-cache"
        self.log = log
        self.port = free_port()
        self._proc: serve.Server | None = None
        self.ingest_reports: dict[str, IngestReport] = {}
        self.ready_after_s: float | None = None  # vLLM start-up time, for the report

    def settings(self, name: str, data_dir: Path | None = None, **kw) -> Settings:
        """Settings over ``<root>/<name>``, talking to this run's server; never reads .env."""
        base = {"base_url": f"http://127.0.0.1:{self.port}/v1", "temperature": 0.0}
        llm = base | kw.pop("llm", {})
        return Settings(data_dir=data_dir or self.root / name, _env_file=None, llm=llm, **kw)

    # -- indexes ----------------------------------------------------------------------------
    @cached_property
    def roadmaps(self) -> Container:
        """The roadmaps only (what a plain `tutorbot ingest` builds)."""
        c = Container(self.settings("roadmaps"))
        self.log("indexing the roadmaps in a temp dir…")
        self.ingest_reports["roadmaps"] = c.ingest()
        return c

    @cached_property
    def full(self) -> Container:
        """Roadmaps plus the linked pages from the offline mirror: the full corpus."""
        from tutorbot.ingest.linked import fetch_catalog_links

        s = self.settings("full", data_dir=self.cache / "full" if self.cache else None)
        c = Container(s, embedder=self.roadmaps.embedder)  # one e5 engine per process is enough
        pages = fetch_catalog_links(s, s.corpus_dir, mirror=MIRROR).documents
        self.log(f"indexing the full corpus in {s.data_dir} (incremental)…")
        self.ingest_reports["full"] = c.ingest(linked=pages)
        return c

    # -- LLM server -------------------------------------------------------------------------
    def start_llm(self) -> None:
        if self._proc is None:
            model = serve.ensure_model(Settings(_env_file=None))  # converted once into the project's .data
            self._llm_settings = self.settings("llm", serve={"port": self.port, "model_path": model})
            probe = OpenAICompatClient(self._llm_settings.llm)
            self._proc = serve.start(self._llm_settings, probe, log=self.log)
            probe.close()
            self._started_at = time.perf_counter()

    def llm_ready(self, timeout_s: float = 900) -> None:
        """Block until the server answers /v1/models (starting it if needed)."""
        self.start_llm()
        s = self._llm_settings
        client = OpenAICompatClient(s.llm)
        try:
            serve.wait_ready(client, self._proc, timeout_s, s.paths.vllm_log)
        finally:
            client.close()
        if self.ready_after_s is None:
            self.ready_after_s = time.perf_counter() - self._started_at

    @property
    def llm_started(self) -> bool:
        return self._proc is not None

    def chat_container(self, **llm) -> Container:
        """A Container over the full index whose LLM settings differ (e.g. max_tokens)."""
        self.llm_ready()
        full = self.full
        s = self.settings("full", data_dir=full.settings.data_dir, llm=llm)
        # Same persist dir in the same process: Chroma shares one client, so this is safe.
        return Container(s, embedder=full.embedder)

    @property
    def llm_python(self) -> Path:
        return Settings(_env_file=None).serve.python

    @property
    def llm_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None
        shutil.rmtree(self.root, ignore_errors=True)
