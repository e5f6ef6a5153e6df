"""Fetching linked pages end to end against a real local HTTP server (and the offline mirror)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from links_server import SNAPSHOT, State, serve

from tutorbot.ingest.links import FetchReport, FetchTuning, MirrorError, dead_links, fetch_links
from tutorbot.ingest.links.fetch import USER_AGENT
from tutorbot.settings import LinksSettings
from tutorbot.urls import normalise_url

GOOD = {  # path → expected title
    "/pages/lilianweng-diffusion-models.html": "What are Diffusion Models?",
    "/pages/arxiv-1706.03762-attention-is-all-you-need.md": "Attention Is All You Need",
    "/pages/annotated-transformer-2022.py": "The Annotated Transformer",
    "/pages/tic-dlut-roadmap-go.md": "Go 后端学习路线",
    "/flaky": "Flaky",
    "/moved": "minGPT",
}
BAD = {  # path → (status, words the reason must contain)
    "/404": ("error", "HTTP 404"),
    "/slow": ("error", "timed out after 0.5s (after 2 attempts)"),
    "/big": ("error", "max_bytes"),
    "/big-chunked": ("error", "max_bytes"),
    "/loop-a": ("error", "redirect loop"),
    "/to-metadata": ("error", "169.254.169.254"),
    "/to-private": ("error", "10.0.0.1, a private address"),
    "/image": ("error", "content type image/png not allowed"),
    "/bad-encoding": ("error", "invalid encoding"),
}
TUNING = FetchTuning(retries=1, backoff_s=0.01)


def settings(**overrides: object) -> LinksSettings:
    base = {"allow_hosts": "127.0.0.1/32", "timeout_s": 0.5, "max_bytes": 200_000, "per_host": 4}
    return LinksSettings(**{**base, **overrides})


@pytest.fixture()
def server() -> Iterator[tuple[str, State]]:
    with serve() as s:
        yield s


def run(base: str, paths: list[str], cache: Path, **kw: object) -> FetchReport:
    urls = [base + p for p in paths]
    linked = {u: [f"roadmaps/a.txt > section {i}"] for i, u in enumerate(urls)}
    return fetch_links(urls, kw.pop("links", settings()), cache, linked_from=linked, tuning=TUNING, **kw)


def by_url(report: FetchReport, base: str) -> dict[str, object]:
    return {r.url.removeprefix(normalise_url(base).rstrip("/")): r for r in report.results}


def test_good_pages_become_documents_and_bad_ones_are_reported(server: tuple[str, State], tmp_path: Path) -> None:
    base, state = server
    report = run(base, [*GOOD, *BAD], tmp_path)
    results = by_url(report, base)
    assert state.hits["/flaky"] == 2  # the 500 was retried once
    for path, (status, words) in BAD.items():
        assert results[path].status == status and words in results[path].reason, (path, results[path])
    docs = {d.id.removeprefix(normalise_url(base).rstrip("/")): d for d in report.documents}
    assert set(docs) == set(GOOD)
    for path, title in GOOD.items():
        doc = docs[path]
        assert results[path].status == "ok" and doc.title.startswith(title)
        assert doc.kind == "linked" and doc.trusted is False and doc.text
        assert doc.linked_from and doc.linked_from[0].startswith("roadmaps/a.txt > section")
    assert "## Forward diffusion process" in docs["/pages/lilianweng-diffusion-models.html"].text
    assert docs["/pages/tic-dlut-roadmap-go.md"].lang == "zh"
    assert docs["/moved"].meta["final_url"].endswith("/pages/karpathy-mingpt-readme.md")


def test_rerun_is_incremental_and_refresh_is_conditional(server: tuple[str, State], tmp_path: Path) -> None:
    base, state = server
    pages = [p for p in GOOD if p.startswith("/pages/")]
    first = run(base, [*pages, "/404"], tmp_path)
    hits_after_first = sum(state.hits[p] for p in pages)
    second = run(base, [*pages, "/404"], tmp_path)
    assert sum(state.hits[p] for p in pages) == hits_after_first
    assert state.hits["/404"] == 2  # failures are retried on every run; good pages are not
    assert [r.status for r in second.results] == ["cached"] * len(pages) + ["error"]
    assert [d.text for d in second.documents] == [d.text for d in first.documents]
    third = run(base, pages, tmp_path, refresh=True)
    assert {r.status for r in third.results} == {"not_modified"}
    assert sum(state.not_modified.values()) == len(pages)
    assert [d.text for d in third.documents] == [d.text for d in first.documents]
    assert state.user_agents == {USER_AGENT}


def test_failed_refresh_keeps_the_last_good_copy(server: tuple[str, State], tmp_path: Path) -> None:
    base, state = server
    run(base, ["/toggle"], tmp_path)
    state.toggle_broken = True
    broken = run(base, ["/toggle"], tmp_path, refresh=True)
    assert broken.results[0].status == "error" and "HTTP 503" in broken.results[0].reason
    assert broken.results[0].last_success is not None
    assert broken.documents[0].text.endswith("first version")
    assert [d.url for d in dead_links(tmp_path)] == [normalise_url(base + "/toggle")]
    state.toggle_broken, state.toggle_text = False, "# Toggle\n\nsecond version"
    fixed = run(base, ["/toggle"], tmp_path, refresh=True)
    assert fixed.results[0].status == "ok" and fixed.documents[0].text.endswith("second version")
    assert dead_links(tmp_path) == []


def test_per_host_limit_caps_requests_in_flight(server: tuple[str, State], tmp_path: Path) -> None:
    base, state = server
    report = run(base, [f"/held/{i}" for i in range(6)], tmp_path, links=settings(per_host=2, timeout_s=2))
    assert {r.status for r in report.results} == {"ok"}
    assert state.max_in_flight == 2


def test_run_byte_budget_skips_the_rest_without_caching(server: tuple[str, State], tmp_path: Path) -> None:
    base, _ = server
    pages = [p for p in GOOD if p.startswith("/pages/")]
    tight = settings(concurrency=1, max_total_bytes=10_000)
    report = run(base, pages, tmp_path, links=tight)
    skipped = [r for r in report.results if r.status == "skipped"]
    assert skipped and all("max_total_bytes" in r.reason for r in skipped)
    again = run(base, pages, tmp_path)
    assert {r.status for r in again.results} <= {"ok", "cached"}
    assert len(again.documents) == len(pages)


def test_progress_is_reported_for_every_url(server: tuple[str, State], tmp_path: Path) -> None:
    base, _ = server
    seen: list[tuple[str, int, int]] = []
    run(base, ["/404", "/pages/r4j4n-kv-cache.md"], tmp_path, progress=lambda r, d, t: seen.append((r.status, d, t)))
    assert sorted(seen) == [("error", 1, 2), ("ok", 2, 2)] or sorted(seen) == [("error", 2, 2), ("ok", 1, 2)]


def test_connection_goes_to_the_checked_address_with_the_original_host(
    server: tuple[str, State], tmp_path: Path,
) -> None:
    base, state = server
    port = base.rsplit(":", 1)[1]
    # Only the injected resolver knows this name: if the client resolved it again itself
    # (the DNS-rebinding window), the request could not connect at all.
    report = fetch_links([f"http://pinned.test:{port}/pages/r4j4n-kv-cache.md"], settings(), tmp_path,
                         tuning=TUNING, resolver=lambda host, p: ["127.0.0.1"] if host == "pinned.test" else [])
    assert report.results[0].status == "ok", report.results[0].reason
    assert f"pinned.test:{port}" in state.host_headers


def test_an_unexpected_failure_is_a_result_not_an_exception(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache directory should be")
    report = fetch_links(["https://arxiv.org/abs/1706.03762"], LinksSettings(), not_a_dir, mirror=SNAPSHOT)
    assert report.results[0].status == "error" and report.results[0].reason.startswith("unexpected")
    assert not_a_dir.read_text() == "a file where the cache directory should be"


def mirror_expectations() -> tuple[set[str], set[str], list[str]]:
    entries = json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))
    with_file = {normalise_url(e["url"]) for e in entries if e["file"]}
    without = {normalise_url(e["url"]) for e in entries if not e["file"]} - with_file
    return with_file, without, [e["url"] for e in entries]


def test_mirror_mode_reads_the_snapshot_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("mirror mode touched the network")

    monkeypatch.setattr(httpx.AsyncClient, "send", no_network)
    with_file, without, urls = mirror_expectations()
    report = fetch_links(urls, LinksSettings(), tmp_path, mirror=SNAPSHOT)
    assert {d.id for d in report.documents} == with_file
    errors = {r.url: r.reason for r in report.results if r.status == "error"}
    assert set(errors) == without and all(r.startswith("not in mirror") for r in errors.values())
    assert all(d.text.strip() and d.title and not d.trusted for d in report.documents)
    # The roadmap may link with tracking parameters; the mirror still matches.
    bili = next(u for u in urls if "bilibili" in u).split("?")[0] + "?spm_id_from=x"
    assert fetch_links([bili], LinksSettings(), tmp_path / "b", mirror=SNAPSHOT).results[0].status == "ok"


def test_mirror_refuses_files_outside_it_and_missing_manifests(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "secret.txt").write_text("do not read")
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(
        [{"url": "https://example.org/x", "file": "../secret.txt", "content_type": "text/plain"}]))
    report = fetch_links(["https://example.org/x"], LinksSettings(), tmp_path / "c", mirror=tmp_path / "m")
    assert report.results[0].status == "error" and "outside the mirror" in report.results[0].reason
    with pytest.raises(MirrorError, match=r"no manifest\.json"):
        fetch_links(["https://example.org/x"], LinksSettings(), tmp_path / "c", mirror=tmp_path)


def test_unsafe_and_unresolvable_urls_never_reach_the_network(tmp_path: Path) -> None:
    urls = ["ftp://example.org/file", "http://127.0.0.1:9/", "http://[::1]:9/", "file:///etc/passwd", "http://[::1"]
    report = fetch_links(urls, LinksSettings(timeout_s=1), tmp_path, tuning=TUNING)
    reasons = [r.reason for r in report.results]
    assert [r.status for r in report.results] == ["error"] * 5
    assert "scheme 'ftp' not allowed" in reasons[0] and "loopback" in reasons[1] and "loopback" in reasons[2]
    assert "scheme 'file' not allowed" in reasons[3] and "malformed URL" in reasons[4]
    assert report.documents == []
