"""The outbound guard: which addresses it refuses, the allow list, input-time URL checks, and the
checks made on the address actually connected to (pinning, redirects, sockets of other libraries)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from pathlib import Path

import httpx
import pytest
import trustme
from starlette.responses import Response

from app.errors import ErrorCode, ValidationFailed
from app.notifications.outbound import (
    AllowList,
    OutboundGuard,
    OutboundRefused,
    address_refusal,
    parse_allow_entry,
)
from tests.notifications.servers import Receiver, serve

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "cloud metadata",
    "169.254.10.10": "link-local",
    "100.100.100.200": "cloud metadata",
    "100.64.0.1": "non-public",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "255.255.255.255": "private",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fd00::1": "unique-local",
    "fd12:3456::9": "unique-local",
    "fd00:ec2::254": "cloud metadata",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback (IPv4 127.0.0.1 inside IPv6)",
    "::ffff:169.254.169.254": "cloud metadata (IPv4 169.254.169.254 inside IPv6)",
    "::ffff:10.0.0.1": "private (IPv4 10.0.0.1 inside IPv6)",
    "64:ff9b::a00:1": "private (IPv4 10.0.0.1 inside IPv6)",
    "2002:7f00:1::": "loopback (IPv4 127.0.0.1 inside IPv6)",
    "::7f00:1": "reserved (IPv4-compatible)",
}


@pytest.mark.parametrize(("address", "reason"), sorted(REFUSED.items()))
def test_non_public_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_the_allow_list_takes_hosts_addresses_and_networks() -> None:
    allow = AllowList.parse(["hooks.internal", "10.1.0.0/16", "127.0.0.1", "fd00::/8"])
    assert allow.allows("HOOKS.internal.", ipaddress.ip_address("192.168.5.5"))
    assert allow.allows(None, ipaddress.ip_address("10.1.200.3"))
    assert not allow.allows(None, ipaddress.ip_address("10.2.0.1"))
    assert allow.allows(None, ipaddress.ip_address("::ffff:127.0.0.1"))
    assert allow.allows(None, ipaddress.ip_address("fd00::42"))
    with pytest.raises(ValueError, match="not a host name, an IP address or a CIDR"):
        parse_allow_entry("http://x/")


def test_a_metadata_address_is_allowed_only_when_listed_exactly() -> None:
    metadata = ipaddress.ip_address("169.254.169.254")
    assert not AllowList.parse(["169.254.0.0/16", "metadata.internal"]).allows("metadata.internal", metadata)
    assert AllowList.parse(["169.254.169.254"]).allows(None, metadata)
    assert AllowList.parse(["169.254.0.0/16"]).allows(None, ipaddress.ip_address("169.254.1.1"))


def fixed_resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.8:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9000/",
        "http://[fd00::1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://10.1/",
        "http://localhost:8000/",
        "http://rebind.example/",
        "http://metadata.example/",
    ],
)
async def test_check_url_refuses_internal_destinations_naming_the_field(url: str) -> None:
    guard = OutboundGuard(
        resolver=fixed_resolver({"rebind.example": ["10.9.8.7"], "metadata.example": ["169.254.169.254"]})
    )
    if "localhost" in url:
        guard = OutboundGuard()  # the system resolver: localhost is 127.0.0.1 and/or ::1
    with pytest.raises(OutboundRefused) as refused:
        await guard.check_url(url, "url")
    assert refused.value.code is ErrorCode.VALIDATION and refused.value.field == "url"
    assert "FIREBREAK_OUTBOUND_ALLOW" in refused.value.message


async def test_a_host_with_one_internal_address_among_public_ones_is_refused() -> None:
    guard = OutboundGuard(resolver=fixed_resolver({"mixed.example": ["93.184.216.34", "10.0.0.1"]}))
    with pytest.raises(OutboundRefused, match="10.0.0.1"):
        await guard.check_url("https://mixed.example/", "url")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "must not be blank"),
        ("ftp://files.example/x", "must be a https or http URL"),
        ("https://user:secret@hooks.example/", "must not contain credentials"),
        ("https://hooks.example/a b", "must not contain spaces"),
        ("https:///nohost", "must name a host"),
        ("http://0177.0.0.1/", "is not a valid URL"),
        ("https://unresolvable.example/", "does not resolve"),
        ("https://" + "a" * 3000 + ".example/", "at most 2048"),
    ],
)
async def test_check_url_rejects_unusable_urls_naming_the_field(url: str, message: str) -> None:
    guard = OutboundGuard(resolver=fixed_resolver({}))
    with pytest.raises(ValidationFailed) as raised:
        await guard.check_url(url, "webhookUrl")
    assert raised.value.field == "webhookUrl" and message in raised.value.message
    assert "secret" not in raised.value.message


async def test_check_url_accepts_public_and_allowed_destinations() -> None:
    guard = OutboundGuard(["hooks.internal"], resolver=fixed_resolver({"hooks.internal": ["10.0.0.5"]}))
    assert await guard.check_url("https://hooks.internal/x", "url") == "https://hooks.internal/x"
    assert await guard.check_url("https://93.184.216.34:8443/x?y=1", "url") == "https://93.184.216.34:8443/x?y=1"


async def test_the_client_refuses_to_connect_to_a_refused_address_and_reaches_an_allowed_one() -> None:
    receiver = Receiver(default=lambda: Response("hello"))
    async with serve(receiver.app()) as port:
        async with OutboundGuard().client() as client:
            for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"):
                with pytest.raises(OutboundRefused, match="loopback"):
                    await client.get(url)
        assert receiver.requests == []
        async with OutboundGuard(["127.0.0.1/32"]).client() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/")).text == "hello"
        assert len(receiver.requests) == 1


async def test_the_address_checked_is_the_address_connected_to() -> None:
    """The name resolves once, to the vetted address: a DNS answer that changes after the input
    check (rebinding) is checked again at connect time, and the connection uses the vetted
    address while the request keeps the URL's Host."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    receiver = Receiver()
    async with serve(receiver.app()) as port:
        guard = OutboundGuard(resolver=rebinding)
        url = f"http://rebind.example:{port}/hook"
        assert await guard.check_url(url, "url") == url  # public when checked
        async with guard.client() as client:
            with pytest.raises(OutboundRefused, match="rebind.example resolves to 127.0.0.1"):
                await client.post(url, content=b"x")  # loopback when connecting
        pinned = OutboundGuard(["127.0.0.1"], resolver=fixed_resolver({"hooks.test": ["127.0.0.1"]}))
        async with pinned.client() as client:
            response = await client.post(f"http://hooks.test:{port}/hook", content=b"x")
        assert response.status_code == 204
        assert receiver.requests[-1].headers["host"] == f"hooks.test:{port}"  # no other DNS knows hooks.test


async def test_tls_to_a_pinned_address_verifies_the_certificate_of_the_url_host(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("hooks.test")  # valid for the name only, not for 127.0.0.1
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    receiver = Receiver(default=lambda: Response("over tls"))
    pem = str(tmp_path / "server.pem")
    async with serve(receiver.app(), ssl_certfile=pem, ssl_keyfile=pem) as port:
        guard = OutboundGuard(
            ["127.0.0.1"], resolver=fixed_resolver({"hooks.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        )
        async with guard.client(verify=trust) as client:
            assert (await client.get(f"https://hooks.test:{port}/")).text == "over tls"
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|match"):
                await client.get(f"https://other.test:{port}/")  # same address, a name the certificate lacks


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.2:{port}/", "http://10.0.0.1/", "http://169.254.169.254/latest/", "http://[::1]:{port}/"],
)
async def test_a_followed_redirect_to_a_refused_address_is_refused(location: str) -> None:
    receiver = Receiver()
    async with serve(receiver.app()) as port:
        receiver.default = lambda: Response(status_code=302, headers={"location": location.format(port=port)})
        async with OutboundGuard(["127.0.0.1/32"]).client(follow_redirects=True, timeout=5) as client:
            with pytest.raises(OutboundRefused):
                await client.get(f"http://127.0.0.1:{port}/start")
    assert [r.path for r in receiver.requests] == ["/start"]


async def test_the_socket_scope_refuses_connections_other_libraries_open() -> None:
    receiver = Receiver()
    async with serve(receiver.app()) as port:

        def connect() -> None:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass

        with OutboundGuard().sockets() as scope, pytest.raises(ConnectionRefusedError, match="loopback"):
            await asyncio.to_thread(connect)
        assert scope.refusals and "127.0.0.1" in scope.refusals[0]
        await asyncio.to_thread(connect)  # outside the scope, nothing is checked
        with OutboundGuard(["localhost"]).sockets() as scope:
            await asyncio.to_thread(connect)  # an allowed host name covers its addresses
        assert scope.refusals == []
