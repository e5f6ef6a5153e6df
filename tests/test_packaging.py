"""Packaging: the default corpus, prompts and data dir of a checkout and of an installed copy, and a
wheel (built from the sdist, so both carry the data) that, with the checkout out of reach, ingests,
searches, answers and comes up against an existing LLM server from its bundled corpus and prompts,
keeping its data in the user data dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.request
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest
from conftest import free_port
from fake_openai import FakeOpenAI, sse

from tutorbot import paths
from tutorbot.settings import PROJECT_ROOT, Settings

BUNDLED = ("corpus", "prompts")
# Puts the unpacked wheel first and the app venv's site-packages after it by hand: with -S no .pth
# file runs, so the checkout's editable install (a .pth) cannot shadow the wheel; -I drops PYTHONPATH.
RUN = ("import os, sys; sites = sys.argv[1].split(os.pathsep); sys.argv = ['tutorbot', *sys.argv[2:]]; "
       "sys.path[:0] = sites; import tutorbot; assert tutorbot.__file__.startswith(sites[0]), tutorbot.__file__; "
       "from tutorbot.cli import main; main()")
SETTINGS = ("import os, sys; sys.path[:0] = sys.argv[1].split(os.pathsep); from tutorbot.settings import Settings; "
            "s = Settings(); print(s.corpus_dir, s.prompts_dir, s.data_dir)")


def data_files() -> list[str]:
    """Every file of corpus/ and prompts/, as the path the wheel must hold it under."""
    found = [p.relative_to(PROJECT_ROOT).as_posix() for d in BUNDLED for p in (PROJECT_ROOT / d).rglob("*")]
    return sorted(f"tutorbot/_bundled/{f}" for f in found if (PROJECT_ROOT / f).is_file())


@pytest.fixture
def installed_copy(monkeypatch):
    """The path rule as an installed wheel sees it."""
    monkeypatch.setattr(paths, "source_checkout", lambda: False)
    return monkeypatch


def test_a_checkout_reads_its_top_level_folders_and_keeps_data_in_its_own_dot_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings(_env_file=None)
    assert paths.source_checkout()
    assert (s.corpus_dir, s.prompts_dir) == (PROJECT_ROOT / "corpus", PROJECT_ROOT / "prompts")
    assert s.data_dir == PROJECT_ROOT / ".data"


def test_an_installed_copy_reads_the_folders_bundled_in_the_package(installed_copy):
    package = Path(str(files("tutorbot")))
    s = Settings(_env_file=None)
    assert (s.corpus_dir, s.prompts_dir) == (package / "_bundled" / "corpus", package / "_bundled" / "prompts")


def test_an_installed_copy_keeps_data_in_the_working_directorys_dot_data_when_there_is_one(installed_copy, tmp_path):
    (tmp_path / ".data").mkdir()
    installed_copy.chdir(tmp_path)
    assert Settings(_env_file=None).data_dir == tmp_path / ".data"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is Linux's")
def test_an_installed_copy_otherwise_keeps_data_in_the_xdg_user_data_dir(installed_copy, tmp_path):
    installed_copy.chdir(tmp_path)
    installed_copy.setenv("HOME", str(tmp_path / "home"))
    installed_copy.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings(_env_file=None).data_dir == tmp_path / "xdg" / "tutorbot"
    installed_copy.setenv("XDG_DATA_HOME", "relative/xdg")  # invalid by the XDG spec: ignored
    assert Settings(_env_file=None).data_dir == tmp_path / "home" / ".local" / "share" / "tutorbot"
    assert not (tmp_path / "xdg").exists()  # choosing the data dir creates nothing


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """sdist from the checkout, then a wheel from that sdist (what `pip install .` and PyPI would ship)."""
    out = tmp_path_factory.mktemp("dist")
    build = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    sdist = subprocess.run([sys.executable, "-c", build, str(out)], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=True).stdout.strip().splitlines()[-1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    str(out / sdist), "-w", str(out)], check=True, capture_output=True)
    return next(out.glob("tutorbot-*.whl"))


def test_the_wheel_carries_every_corpus_and_prompt_file_and_the_command(wheel):
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        entry_points = next(whl.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    wanted = data_files()
    assert {"tutorbot/_bundled/corpus/curriculum.yaml", "tutorbot/_bundled/prompts/chat_system.txt"} <= set(wanted)
    assert [f for f in wanted if f not in names] == []
    assert len([f for f in wanted if "/roadmaps/" in f]) >= 5
    assert "tutorbot = tutorbot.cli:main" in entry_points


def command(site: Path, code: str, *args: str) -> list[str]:
    """A Python command that sees the unpacked wheel, then the app venv's packages: nothing else."""
    sites = [str(site), *dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])]
    return [sys.executable, "-I", "-S", "-c", code, os.pathsep.join(sites), *args]


def run(site: Path, env: dict[str, str], *args: str, code: str = RUN) -> subprocess.CompletedProcess:
    done = subprocess.run(command(site, code, *args), cwd=site.parent / "work", env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture
def unpacked(wheel, tmp_path) -> Path:
    """The wheel installed the plainest way (unzipped), beside an empty working directory."""
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    (tmp_path / "work").mkdir()
    return tmp_path / "site"


def environment(site: Path, llm_url: str, **extra: str) -> dict[str, str]:
    """No TUTORBOT_* of the developer's; a home and XDG data home of the test's; an existing LLM server."""
    home = site.parent
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home / "home"), "XDG_DATA_HOME": str(home / "xdg"),
            "TUTORBOT_EMBEDDING_BACKEND": "hash", "TUTORBOT_LLM_BASE_URL": llm_url, **extra}


@pytest.mark.integration
def test_the_installed_wheel_reads_its_bundled_folders_and_keeps_data_in_the_user_data_dir(unpacked):
    data, bundled = unpacked.parent / "xdg" / "tutorbot", unpacked / "tutorbot" / "_bundled"
    env = environment(unpacked, "http://127.0.0.1:9/v1")
    assert run(unpacked, env, code=SETTINGS).stdout.split() == [str(bundled / "corpus"), str(bundled / "prompts"),
                                                                 str(data)]
    assert json.loads(run(unpacked, env, "ingest", "--json").stdout)["documents_read"] == 5
    assert (data / "catalog.json").is_file() and (data / "chroma").is_dir()
    assert not (unpacked.parent / "work" / ".data").exists() and not list(unpacked.rglob(".data"))
    hits = json.loads(run(unpacked, env, "search", "扩散模型", "--json").stdout)
    assert hits and all(h["source"].startswith("roadmaps/") for h in hits)


@pytest.mark.integration
def test_the_installed_wheel_answers_with_its_bundled_prompts_through_an_existing_server(unpacked):
    with FakeOpenAI(sse("Diffusion models learn to reverse a noising process [1].")) as llm:
        # hash embeddings carry no meaning: let every question through the scope check to the model
        env = environment(unpacked, llm.url, TUTORBOT_RETRIEVAL_MIN_SCORE="-1", TUTORBOT_RETRIEVAL_MIN_LEXICAL="0")
        run(unpacked, env, "ingest")
        answer = json.loads(run(unpacked, env, "ask", "扩散模型怎么入门？", "--json").stdout)
    assert answer["citations"] and all(c["source"].startswith("roadmaps/") for c in answer["citations"])
    system = (PROJECT_ROOT / "prompts" / "chat_system.txt").read_text(encoding="utf-8").splitlines()[0]
    assert any(b.get("messages", [{}])[0].get("content", "").startswith(system) for b in llm.bodies)


@pytest.mark.integration
def test_the_installed_wheel_comes_up_against_an_existing_server_without_starting_vllm(unpacked):
    port = free_port()
    with FakeOpenAI() as llm:  # named with --llm-url, as a self-hoster would (the environment names none)
        env = environment(unpacked, "", TUTORBOT_UI_PORT=str(port), TUTORBOT_LINKS_BACKGROUND="false")
        del env["TUTORBOT_LLM_BASE_URL"]
        proc, lines = start(command(unpacked, RUN, "up", "--llm-url", llm.url), env, cwd=unpacked.parent / "work")
        try:
            wait_for_line(lines, f"UI on http://127.0.0.1:{port}", proc, within_s=120)
            assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).status == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, "".join(lines)
        finally:
            proc.kill()
    data = unpacked.parent / "xdg" / "tutorbot"
    assert (data / "catalog.json").is_file() and not data.joinpath("run", "vllm.pid").exists(), "".join(lines)


def start(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, list[str]]:
    """A long-running command; its output lines are collected as they come."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    return proc, lines


def wait_for_line(lines: list[str], needle: str, proc: subprocess.Popen, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not any(needle in line for line in lines):
        assert proc.poll() is None and time.monotonic() < deadline, f"no {needle!r} in:\n{''.join(lines)}"
        time.sleep(0.1)
