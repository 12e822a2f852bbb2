"""The grader <-> worker channel: what one reply may cost the trusted grader."""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest

from nncourse.sandbox.worker import wire


def _exchange(blobs: list[bytes]):
    ours, theirs = socket.socketpair()
    sender = threading.Thread(target=lambda: _send_quietly(theirs, blobs), daemon=True)
    sender.start()
    try:
        return wire.recv_message(ours)
    finally:
        ours.close()
        sender.join(timeout=5)
        theirs.close()


def _send_quietly(sock: socket.socket, blobs: list[bytes]) -> None:
    try:
        wire.send_message(sock, {"type": "reply"}, blobs)
    except OSError:
        pass  # the receiver stopped reading: that is the point of the limit


def test_a_reply_within_the_total_limit_arrives_whole(monkeypatch):
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 1 << 20)
    array = np.arange(40_000, dtype=np.float64)  # 320 kB each, 640 kB in all
    header, blobs = _exchange([wire.array_to_npy(array)] * 2)
    assert header["blobs"] == 2
    assert np.array_equal(wire.npy_to_array(blobs[1]), array)


def test_many_frames_below_the_frame_limit_cannot_add_up_past_the_message_limit(monkeypatch):
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 1 << 20)
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        _exchange([b"x" * (400 << 10)] * 3)  # each frame is allowed, together 1.2 MB are not


def test_an_object_array_in_a_reply_is_refused_without_unpickling():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError, match="malformed array"):
        wire.npy_to_array(buffer.getvalue())
