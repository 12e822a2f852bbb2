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


def test_a_tensor_subclass_is_encoded_without_running_its_own_code():
    """Converting a result runs no code of its class: a lazy tensor cannot do its work unguarded."""
    import torch

    calls = []

    class Lazy(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(getattr(func, "__name__", str(func)))
            return super().__torch_function__(func, types, args, kwargs or {})

    value = torch.arange(3.0).as_subclass(Lazy)
    calls.clear()
    encoder = wire.Encoder(lambda obj: {"id": 1, "type": type(obj).__name__}, torch)
    node = encoder.encode(value)
    assert calls == [] and "tensor" in node, (calls, node)
    assert np.array_equal(wire.npy_to_array(encoder.blobs[0]), [0.0, 1.0, 2.0])


def test_the_grader_refuses_a_handle_where_numbers_are_due_without_calling_it():
    """as_array and numpy refuse a Remote handle at once: nothing of the student's runs or is pulled."""
    from nncourse.grading.asserts import as_array
    from nncourse.grading.student import Remote

    class Recording:  # in place of the student fixture: records each request a handle would send
        def __init__(self):
            self.requests = []

        def _request(self, header, label, **kwargs):
            self.requests.append(header)
            raise AssertionError("no request expected")

    student = Recording()
    remote = Remote(student, 7, "Lazy", "mse_gradient")
    with pytest.raises(AssertionError, match="mse_gradient returned a Lazy object, not numbers"):
        as_array(remote, "mse_gradient")
    with pytest.raises(AssertionError, match="returned a Lazy object, not numbers"):
        np.asarray([remote, remote], dtype=float)
    assert student.requests == []
