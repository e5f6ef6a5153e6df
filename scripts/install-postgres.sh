#!/usr/bin/env bash
# Debian's PostgreSQL server for the learner-DB and scale-out tests: they start throw-away clusters of
# their own with initdb/pg_ctl (tests/services.py), never the packaged one. Found where pg_bin() looks.
set -euo pipefail
for d in /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then exit 0; fi
done
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
