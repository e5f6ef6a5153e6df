"""Query-embedding time under different OpenMP settings, each in its own child process.

The e5 engine is OpenMP code: its thread settings are read once, when the library loads, so
each setting needs a fresh process. ``run`` returns a table for the latency section; the child
(``python embed_probe.py N``) prints ``[p50_ms, p95_ms]`` for N queries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import Table, median, ms, pct

SETTINGS = {"default (as shipped)": {}, "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
            "OMP_NUM_THREADS=1": {"OMP_NUM_THREADS": "1"}}


def run(questions: list[str], n: int) -> Table:
    t = Table(title=f"Query embedding (e5) by OpenMP setting, {n} queries in a child process each",
              columns=["setting", "p50 ms", "p95 ms"])
    for name, extra in SETTINGS.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")} | extra
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(n)], input=json.dumps(questions),
                              capture_output=True, text=True, env=env, timeout=600, check=False)
        p50, p95 = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else ("failed", "")
        t.add(name, p50, p95)
    return t


def child(questions: list[str], n: int) -> list[float]:
    from tutorbot.retrieval.embed import make_embedder
    from tutorbot.settings import EmbeddingSettings

    embedder = make_embedder(EmbeddingSettings())
    embedder.embed_query(questions[0])
    times = []
    for i in range(n):
        start = time.perf_counter()
        embedder.embed_query(questions[i % len(questions)])
        times.append(ms(time.perf_counter() - start))
    return [median(times), pct(times, 95)]


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.stdin.read()), int(sys.argv[1]))))
