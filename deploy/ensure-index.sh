#!/bin/sh
# Start-up step of the app (container ENTRYPOINT and the systemd unit's ExecStartPre):
# build the search index once, then run the given command, if any.
#
#   ensure-index.sh [COMMAND [ARG...]]
#
# INGEST_ON_START: auto (default; ingest only if no index was built yet), always, never.
# INGEST_ARGS:     extra arguments for `tutorbot ingest`, split on spaces.
# The marker is written only after a successful ingest, so a failed or interrupted one is
# retried on the next start instead of leaving the UI on a half-built index.
set -eu

data_dir="${TUTORBOT_DATA_DIR:?TUTORBOT_DATA_DIR must be set (where tutorbot keeps its index)}"
marker="$data_dir/.index-built"
mode="${INGEST_ON_START:-auto}"

case "$mode" in
  auto|always|never) ;;
  *) echo "ensure-index: INGEST_ON_START must be auto, always or never, got '$mode'" >&2; exit 2 ;;
esac

if [ "$mode" = always ] || { [ "$mode" = auto ] && [ ! -e "$marker" ]; }; then
  echo "ensure-index: building the index (tutorbot ingest ${INGEST_ARGS:-})" >&2
  mkdir -p "$data_dir"
  # shellcheck disable=SC2086  # INGEST_ARGS is a list of words on purpose
  tutorbot ingest ${INGEST_ARGS:-}
  date -u +%Y-%m-%dT%H:%M:%SZ > "$marker"
fi

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
