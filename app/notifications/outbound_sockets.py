"""The outbound guard for sockets that other libraries open (Apprise, on `requests`): a PEP 578
audit hook, added once per process, that vets every `socket.connect`, `sendto` and `sendmsg`
made while a scope is active in the current context (threads started with a copy of the context,
as `asyncio.to_thread` does, included). Outside a scope it does nothing.

A socket only sees addresses, so a connection by name is refused, and the allow list's host names
are resolved (once per scope) to the addresses they stand for.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.notifications.outbound import ALLOW_VARIABLE, METADATA_ADDRESSES, IPAddress, OutboundGuard, ip_literal


@dataclass
class SocketScope:
    """The refusals made while the scope was active (their reasons, for the caller's answer)."""

    guard: OutboundGuard
    refusals: list[str] = field(default_factory=list)
    _allowed_by_name: set[IPAddress] | None = None

    def check(self, sock: Any, address: Any) -> None:
        family = getattr(sock, "family", None)
        if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            self._refuse("a non-IP socket is not an outbound destination")
        host = str(address[0])
        ip = ip_literal(host)
        if ip is None:
            self._refuse(f"connecting to {host} by name is not vetted")
            return
        reason = self.guard.refusal(None, ip)
        if reason is not None and ip not in self._addresses_of_allowed_names():
            self._refuse(
                f"{ip} is a {reason} address: outbound requests to it are refused (unless {ALLOW_VARIABLE} lists it)"
            )

    def _addresses_of_allowed_names(self) -> set[IPAddress]:
        """The addresses of the allow list's host names (a socket only sees addresses), looked up once."""
        if self._allowed_by_name is None:
            found: set[IPAddress] = set()
            for name in self.guard.allow.hosts:
                with contextlib.suppress(OSError, UnicodeError):
                    found.update(ipaddress.ip_address(i[4][0]) for i in socket.getaddrinfo(name, None))
            self._allowed_by_name = {ip for ip in found if ip not in METADATA_ADDRESSES}
        return self._allowed_by_name

    def _refuse(self, reason: str) -> None:
        self.refusals.append(reason)
        raise ConnectionRefusedError(reason)


_SCOPE: contextvars.ContextVar[SocketScope | None] = contextvars.ContextVar("outbound_socket_scope", default=None)
_SOCKET_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_hook_lock = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _SOCKET_EVENTS:
        return
    active = _SCOPE.get()
    if active is not None and len(args) >= 2 and args[1] is not None:
        active.check(args[0], args[1])


def _install_audit_hook() -> None:
    """Add the hook once per process (audit hooks cannot be removed; outside a scope it does nothing)."""
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


@contextlib.contextmanager
def scope(guard: OutboundGuard) -> Iterator[SocketScope]:
    """Activate a socket scope for `guard` in the current context (see `OutboundGuard.sockets`)."""
    _install_audit_hook()
    active = SocketScope(guard)
    token = _SCOPE.set(active)
    try:
        yield active
    finally:
        _SCOPE.reset(token)
