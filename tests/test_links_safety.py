"""The SSRF guard: schemes, forbidden address ranges, DNS answers, and the allow-list."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tutorbot.ingest.links.safety import AllowList, UnsafeURLError, check_url, forbidden_reason

NOBODY = AllowList()


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """Make socket.getaddrinfo answer from a table (unknown names fail like real DNS)."""
    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", [
    "ftp://example.org/f", "file:///etc/passwd", "javascript:alert(1)", "data:text/html,<b>x</b>",
    "gopher://example.org/", "example.org/no-scheme",
])
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="not allowed"):
        check_url(url, NOBODY)


@pytest.mark.parametrize(("address", "why"), [
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"), ("169.254.1.1", "link-local"), ("169.254.169.254", "metadata"),
    ("100.100.100.200", "metadata"), ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"), ("100.64.0.1", "not a publicly routable"),
    ("::1", "loopback"), ("fe80::1", "link-local"), ("fc00::1", "private"), ("fd00:ec2::254", "metadata"),
    ("ff02::1", "multicast"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "metadata"),
    ("2002:a00:1::", "private"),
])
def test_non_public_addresses_are_forbidden(address: str, why: str) -> None:
    assert why in (forbidden_reason(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"evil.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(UnsafeURLError, match=r"evil.example resolves to 10.0.0.5, a private address"):
        check_url("https://evil.example/page", NOBODY)


def test_public_names_pass_and_the_checked_ipv4_address_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"good.example": ["2606:4700:4700::1111", "1.1.1.1"]})
    assert check_url("https://good.example/x", NOBODY) == "1.1.1.1"


def test_unresolvable_names_are_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {})
    with pytest.raises(UnsafeURLError, match=r"cannot resolve host 'nowhere\.example'"):
        check_url("http://nowhere.example/", NOBODY)


def test_numeric_host_tricks_are_caught_after_resolution() -> None:
    # 2130706433 == 127.0.0.1; the system resolver decodes it, so the check sees the real address.
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://2130706433/", NOBODY)
    with pytest.raises(UnsafeURLError, match="metadata"):
        check_url("http://[::ffff:169.254.169.254]/", NOBODY)


def test_allow_list_cidr_permits_only_its_range() -> None:
    allow = AllowList.parse("127.0.0.1/32, ::1")
    assert check_url("http://127.0.0.1:8000/", allow) == "127.0.0.1"
    assert check_url("http://[::1]:8000/", allow) == "::1"
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://127.0.0.2/", allow)
    with pytest.raises(UnsafeURLError, match="metadata"):
        check_url("http://169.254.169.254/", allow)


def test_allow_list_host_names_cover_that_name_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"intranet.lan": ["10.1.2.3"], "evil.example": ["10.1.2.3"]})
    allow = AllowList.parse("intranet.lan")
    assert check_url("http://INTRANET.lan/wiki", allow) == "10.1.2.3"
    with pytest.raises(UnsafeURLError, match="private"):
        check_url("http://evil.example/", allow)


@pytest.mark.parametrize("spec", ["10.0.0.0/99", "not a host", "a/b"])
def test_bad_allow_list_entries_are_named(spec: str) -> None:
    with pytest.raises(ValueError, match="ALLOW_HOSTS"):
        AllowList.parse(spec)


def test_malformed_urls_are_refused() -> None:
    for url in ("http://example.org:notaport/", "http:///path-only"):
        with pytest.raises(UnsafeURLError):
            check_url(url, NOBODY)
