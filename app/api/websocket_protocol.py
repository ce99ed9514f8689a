"""uvicorn's sans-I/O websocket protocol, with three changes:

- it closes with 1001 (going away) on server shutdown instead of 1012, so clients reconnect
  elsewhere straight away;
- it caps the kernel send buffer of each socket, so a reader that stops reading is noticed after
  a few hundred kilobytes (and cut off, see `app.api.graphql.ws`) rather than after megabytes;
- it offers the application an ASGI scope extension, `firebreak.send_nowait(message) -> bool`,
  that writes a text frame at once when the socket is writable (the path `websocket.send` takes
  anyway, without a coroutine and task switch per message) and returns False otherwise, so
  fan-out can write to a thousand sockets in one loop and queue only for the ones that are
  behind. A `Message` sent to many sockets is framed once: a server's frames are not masked, so
  without compression every socket gets the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

GOING_AWAY = 1001
SEND_BUFFER_BYTES = 256 * 1024


SEND_NOWAIT = "firebreak.send_nowait"


class Message:
    """A text message for many sockets, framed on first use."""

    __slots__ = ("text", "_frame")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = Frame(Opcode.TEXT, self.text.encode()).serialize(mask=False)
        return self._frame


class GoingAwayProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event):  # type: ignore[no-untyped-def]
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][SEND_NOWAIT] = self.send_nowait

    def send_nowait(self, message: str | Message) -> bool:
        if not self.handshake_complete or self.close_sent or not self.writable.is_set() or self.transport.is_closing():
            return False
        if isinstance(message, Message) and not self.conn.extensions and self.conn.state is State.OPEN:
            self.transport.write(message.frame)
            return True
        self.conn.send_text((message.text if isinstance(message, Message) else message).encode())
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        super().connection_made(transport)

    def shutdown(self) -> None:
        if self.handshake_complete and not self.close_sent:
            self.stop_keepalive()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY, "Server shutting down")
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            self.transport.close()
            return
        super().shutdown()
