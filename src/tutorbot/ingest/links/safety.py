"""Link fetching, step 0: decide whether a URL may be fetched at all (SSRF guard).

Only http(s) is allowed, and every address a host name resolves to must be publicly
routable — no private, loopback, link-local, multicast, reserved or cloud-metadata
addresses — unless ``LinksSettings.allow_hosts`` names the host or a CIDR containing the
address. The fetcher calls ``check_url`` before the first request and after every
redirect, then connects to the address that was checked (see ``fetch.py``), so a DNS
answer that changes between check and connect cannot sneak past.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from tutorbot.errors import InputError, TutorbotError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Instance-metadata endpoints of the big clouds; most are link-local anyway, but some
# (Alibaba's 100.100.100.200, AWS's IPv6 one) are not caught by the generic ranges.
METADATA_IPS = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.123", "100.100.100.200", "192.0.0.192",
    "fd00:ec2::254", "fd00:ec2::23",
))
LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*\.?$")


class UnsafeURLError(TutorbotError, ValueError):
    """The URL must not be fetched; the message says why (it becomes the FetchResult reason)."""


class UnreachableHostError(UnsafeURLError):
    """The host name does not resolve: a sign of no network (or a dead domain), not of a bad URL."""


class AllowList(BaseModel):
    """Parsed ``allow_hosts``: exact host names and networks exempt from the address check."""

    model_config = ConfigDict(frozen=True)

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> AllowList:
        """Parse "127.0.0.1/32,localhost,::1"; a bad entry raises InputError naming it."""
        hosts: set[str] = set()
        nets: list[IPNetwork] = []
        for item in (s.strip().lower() for s in spec.split(",")):
            if not item:
                continue
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if "/" in item or not HOST_NAME.match(item):
                    raise InputError(
                        f"TUTORBOT_LINKS_ALLOW_HOSTS: {item!r} is neither a host name nor a CIDR like 127.0.0.1/32"
                    ) from None
                hosts.add(item.rstrip("."))
        return cls(hosts=frozenset(hosts), networks=tuple(nets))

    def permits_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def permits_ip(self, ip: IPAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in self.networks)


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why an address is off limits, or None when it is publicly routable."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 reaches the IPv4 host: judge the inner one.
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return forbidden_reason(inner)
    checks = (
        (ip in METADATA_IPS, "a cloud metadata address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a publicly routable address"),
    )
    return next((why for hit, why in checks if hit), None)


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses the system resolver returns for host (looked up at call time, so tests can patch it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_scheme(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; anything else is refused."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise UnsafeURLError(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(f"scheme {scheme or '(none)'!r} not allowed (only http and https)")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # e.g. a port that is not a number
        raise UnsafeURLError(f"malformed URL: {exc}") from None
    if not host:
        raise UnsafeURLError("URL has no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


def check_url(url: str, allow: AllowList, resolver: Resolver = system_resolver) -> str:
    """Refuse unsafe URLs; return the checked address to connect to (IPv4 first)."""
    _, host, port = check_scheme(url)
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
    except (OSError, UnicodeError) as exc:
        raise UnreachableHostError(f"cannot resolve host {host!r}: {exc}") from None
    if not addresses:
        raise UnreachableHostError(f"host {host!r} resolves to no address")
    if not allow.permits_host(host):
        for ip in addresses:
            why = forbidden_reason(ip)
            if why and not allow.permits_ip(ip):
                raise UnsafeURLError(f"refused: {host} resolves to {ip}, {why}")
    # Pinning one address loses happy-eyeballs; IPv4 is the safer bet for reachability.
    return str(min(addresses, key=lambda ip: ip.version))
