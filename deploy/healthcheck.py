"""Ask tutorbot's /healthz; exit 0 when it is healthy, 1 when not, printing each check that is not ok.

    python healthcheck.py [--url URL] [--wait SECONDS] [--started]

Standard library only: it runs in the app image (compose's health check), from the app venv
(systemd) or anywhere else. ``--wait`` retries until the UI answers; ``--started`` then succeeds
on any answer, 503 included (a readiness step: the UI is serving, even if the model is not up yet).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request

URL = "http://127.0.0.1:7860/healthz"


def probe(url: str) -> tuple[int, dict] | None:
    """(status, body) of one request; None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:  # 503 carries the same JSON body
        return exc.code, json.load(exc)
    except (OSError, ValueError):
        return None


def report(status: int, body: dict) -> None:
    print(f"tutorbot health: {body.get('status', '?')} (HTTP {status})")
    for check in body.get("checks", []):
        if check.get("state") != "ok":
            print(f"  {check.get('state')} {check.get('name')}: {check.get('detail')}")


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--url", default=URL)
    args.add_argument("--wait", type=float, default=0, help="retry for up to this many seconds")
    args.add_argument("--started", action="store_true", help="any answer counts, 503 included")
    opts = args.parse_args()
    deadline = time.monotonic() + opts.wait
    while (answer := probe(opts.url)) is None and time.monotonic() < deadline:
        time.sleep(2)
    if answer is None:
        print(f"tutorbot health: no answer from {opts.url}")
        return 1
    report(*answer)
    return 0 if answer[0] == 200 or opts.started else 1


if __name__ == "__main__":
    sys.exit(main())
