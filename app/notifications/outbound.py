"""The outbound guard: user-supplied destinations (webhook URLs, Apprise targets, logo URLs) may not
reach the installation's own network (server-side request forgery).

Refused unless `FIREBREAK_OUTBOUND_ALLOW` lists them: loopback, link-local, private, unique-local,
multicast, unspecified, reserved and other non-public addresses, IPv4 addresses wrapped in IPv6
(IPv4-mapped, NAT64, 6to4), and the cloud metadata addresses, which only an allow entry naming that
very address lets through (a wider CIDR does not).

The check is made on the address actually connected to:

- `OutboundGuard.client()` is an httpx client whose connections resolve the host once, vet every
  address and connect to a vetted one; TLS keeps the URL's host name for SNI and the certificate
  check, so a DNS answer that changes between the check and the connection (rebinding) cannot
  swap the destination, and a followed redirect is vetted like the first request.
- `OutboundGuard.sockets()` covers libraries that open their own sockets (Apprise, on `requests`):
  while the scope is active in the current context (and in the threads started with a copy of it),
  a Python audit hook refuses every connect or datagram to an address the guard refuses.
- `check_url()` validates a URL at input time (a `VALIDATION` error naming the field).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from app.errors import ValidationFailed

if TYPE_CHECKING:
    from app.config import Settings
    from app.notifications.outbound_sockets import SocketScope

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOW_VARIABLE = "FIREBREAK_OUTBOUND_ALLOW"
URL_MAX = 2048

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*$")
_IPV4_SHORTHAND = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
_BAD_URL_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\^`{|}]")


class OutboundRefused(ValidationFailed):
    """A destination the guard refuses; `field` names the input when there is one."""

    def __init__(self, message: str, *, field: str | None = "url") -> None:
        super().__init__(message, field=field)


def ip_literal(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one (brackets and an IPv6 zone allowed), else None.

    The shorthand IPv4 forms the C library also accepts (`2130706433`, `127.1`, `0x7f.0.0.1`,
    octal parts) count as addresses too, so they are vetted without asking any resolver.
    """
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _IPV4_SHORTHAND.match(host):
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_refusal(ip: IPAddress) -> str | None:
    """Why `ip` is not a public destination ("loopback", "private"...), or None when it is."""
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_refusal(embedded)
            return f"{inner} (IPv4 {embedded} inside IPv6)" if inner else None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL, "unique-local"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _IPV4_COMPATIBLE, "reserved (IPv4-compatible)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    )
    return next((reason for refused, reason in checks if refused), None)


def parse_allow_entry(entry: str) -> str | IPNetwork:
    """One `FIREBREAK_OUTBOUND_ALLOW` entry: a host name (lower case) or a network (an address is a /32 or /128)."""
    value = entry.strip().lower().rstrip(".")
    try:
        return ipaddress.ip_network(value.strip("[]"), strict=False)
    except ValueError:
        pass
    if _HOST_NAME.match(value):
        return value
    raise ValueError(f"{entry.strip()!r} is not a host name, an IP address or a CIDR such as 10.0.0.0/8")


@dataclass(frozen=True)
class AllowList:
    """Destinations allowed despite the guard: exact host names and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        parsed = [parse_allow_entry(e) for e in entries if e.strip()]
        return cls(
            frozenset(p for p in parsed if isinstance(p, str)), tuple(p for p in parsed if not isinstance(p, str))
        )

    def allows(self, host: str | None, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip in METADATA_ADDRESSES:  # only an entry naming that very address
            return any(n.num_addresses == 1 and ip in n for n in self.networks)
        if host is not None and host.lower().rstrip(".") in self.hosts:
            return True
        return any(ip in n for n in self.networks)


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class OutboundGuard:
    """Vets outbound destinations; see the module's docstring."""

    def __init__(self, allow: Iterable[str] | AllowList = (), *, resolver: Resolver | None = None) -> None:
        self.allow = allow if isinstance(allow, AllowList) else AllowList.parse(allow)
        self._resolver = resolver or system_resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundGuard:
        return cls(settings.outbound_allow)

    def refusal(self, host: str | None, ip: IPAddress) -> str | None:
        """Why connecting to `ip` (reached through `host`) is refused, or None when it may go ahead."""
        reason = address_refusal(ip)
        if reason is None or self.allow.allows(host, ip):
            return None
        return reason

    async def resolve(self, host: str, port: int, *, field: str | None = "url") -> list[str]:
        """Every address of `host`, all vetted; `OutboundRefused` when any is refused.

        A resolution failure raises `socket.gaierror` (a transient condition for a delivery).
        """
        literal = ip_literal(host)
        addresses = [str(literal)] if literal is not None else await self._resolver(host, port)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "no address")
        for address in addresses:
            ip = ipaddress.ip_address(address)
            reason = self.refusal(host, ip)
            if reason is not None:
                what = host if literal is not None else f"{host} resolves to {address}, which"
                raise OutboundRefused(
                    f"{what} is a {reason} address: outbound requests to it are refused "
                    f"(unless {ALLOW_VARIABLE} lists it)",
                    field=field,
                )
        return addresses

    async def check_url(
        self, url: str, field: str, *, schemes: Sequence[str] = ("https", "http"), resolve: bool = True
    ) -> str:
        """`url` checked for input: an absolute http(s) URL without credentials whose host is a
        public destination (resolved now unless `resolve` is False). Answers the normalized URL."""
        parsed = parse_url(url, field, schemes=schemes)
        if resolve:
            try:
                await self.resolve(parsed.host, parsed.port or _default_port(parsed.scheme), field=field)
            except (socket.gaierror, UnicodeError):
                raise ValidationFailed(f"{field}: the host {parsed.host} does not resolve", field=field) from None
        return str(parsed)

    def transport(
        self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits | None = None
    ) -> httpx.AsyncHTTPTransport:
        return GuardedTransport(self, verify=verify, limits=limits or httpx.Limits())

    def client(
        self,
        *,
        timeout: float | httpx.Timeout = 10.0,
        follow_redirects: bool = False,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.AsyncClient:
        """An httpx client whose every connection (redirects included) goes through the guard."""
        return httpx.AsyncClient(
            transport=self.transport(verify=verify, limits=limits),
            timeout=timeout,
            follow_redirects=follow_redirects,
            trust_env=False,  # a proxy from the environment would bypass the per-connection check
            headers=headers,
        )

    @contextlib.contextmanager
    def sockets(self) -> Iterator[SocketScope]:
        """Within this scope (this context and threads started with a copy of it), every socket
        connect or datagram to a refused address fails with `ConnectionRefusedError`.

        Keep the scope around the third-party call only (e.g. `asyncio.to_thread(notify)`): in the
        current task, any other connection opened meanwhile (a new database connection) is vetted too.
        """
        from app.notifications.outbound_sockets import scope

        with scope(self) as active:
            yield active


async def check_url(url: str, field: str, *, guard: OutboundGuard | None = None, resolve: bool = True) -> str:
    """Input-time validation of a user-supplied URL with the configured guard (see `OutboundGuard.check_url`)."""
    if guard is None:
        from app.config import get_settings

        guard = OutboundGuard.from_settings(get_settings())
    return await guard.check_url(url, field, resolve=resolve)


def parse_url(url: str, field: str, *, schemes: Sequence[str] = ("https", "http")) -> httpx.URL:
    """`url` as an absolute URL of one of `schemes`, without credentials; `VALIDATION` naming `field` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed(f"{field} must not be blank", field=field)
    url = url.strip()
    if len(url) > URL_MAX:
        raise ValidationFailed(f"{field} must be at most {URL_MAX} characters", field=field)
    if _BAD_URL_CHARACTERS.search(url):
        raise ValidationFailed(f"{field} must not contain spaces, quotes or control characters", field=field)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValidationFailed(f"{field} is not a valid URL", field=field) from None
    if parsed.scheme not in schemes:
        raise ValidationFailed(f"{field} must be a {' or '.join(schemes)} URL", field=field)
    if not parsed.host:
        raise ValidationFailed(f"{field} must name a host", field=field)
    if parsed.userinfo:
        raise ValidationFailed(f"{field} must not contain credentials (user:password@)", field=field)
    return parsed


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, vets every address, connects to a vetted one (TLS then uses the URL's host)."""

    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.resolve(host, port, field=None)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("a unix socket is not an outbound destination", field=None)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request mapping, errors and streams) over a pool of guarded connections."""

    def __init__(self, guard: OutboundGuard, *, verify: ssl.SSLContext | bool, limits: httpx.Limits) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(guard),
        )
