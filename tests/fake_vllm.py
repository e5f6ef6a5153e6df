"""Stands in for `vllm serve` in tests of `serve-llm` and `up` (the real one is the integration suite's).

Started the way tutorbot starts vLLM: ``<python> scripts/vllm_serve.py MODEL --served-model-name NAME
--host H --port P ...``, where ``<python>`` (TUTORBOT_SERVE_PYTHON) is a small shell script that runs
this file. Like vLLM it logs while it "loads" (FAKE_VLLM_LOAD_S seconds, port closed), keeps a child
process (vLLM's engine core), then answers on the port until SIGTERM. Each step is appended to
FAKE_VLLM_EVENTS, so a test can check the order in which things stopped.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI, sse  # noqa: E402


def note(event: str) -> None:
    if path := os.environ.get("FAKE_VLLM_EVENTS"):
        with open(path, "a") as fh:
            fh.write(f"{event}\n")


def main(argv: list[str]) -> None:
    args = dict(zip(argv[2::2], argv[3::2], strict=False))  # argv[0] is the launcher, argv[1] the model
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    note(f"engine {child.pid}")

    def stop(signum, frame):
        note("vllm stopping")
        child.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    for i in range(int(float(os.environ.get("FAKE_VLLM_LOAD_S", "1")) / 0.2)):
        print(f"INFO loading weights of {argv[1]} ({i})", flush=True)
        time.sleep(0.2)
    with FakeOpenAI(sse("ok"), models=(args["--served-model-name"],), port=int(args["--port"])):
        print("INFO Application startup complete.", flush=True)
        note("vllm up")
        while True:
            time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1:])
