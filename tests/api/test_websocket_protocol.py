"""A message framed once for many sockets is byte for byte what the protocol writes for it."""

from __future__ import annotations

import pytest
from websockets.protocol import State
from websockets.server import ServerProtocol

from app.api.websocket_protocol import Message


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 300_000])  # the three length encodings
def test_a_message_is_framed_as_the_protocol_frames_it(length: int) -> None:
    text = '{"data":"ünïcode ✓ ' + "x" * length + '"}'
    protocol = ServerProtocol()
    protocol.state = State.OPEN
    protocol.send_text(text.encode())
    assert Message(text).frame == b"".join(protocol.data_to_send())


def test_the_frame_is_built_once() -> None:
    message = Message('{"type":"next"}')
    assert message.frame is message.frame
