"""Framing and value encoding for the grader <-> worker channel.

This one file is imported on both sides of the trust boundary: by the trusted grader (as
``nncourse.sandbox.worker.wire``) and by the sandboxed worker (from its read-only bind mount).
Only plain data crosses: JSON for structure, ``.npy`` bytes for arrays (always loaded with
``allow_pickle=False``). Anything that is not plain data stays in the worker and crosses as a handle
id. It depends on the standard library and numpy only, because the worker imports it before any
student code runs.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import traceback

import numpy as np

MAX_JSON_BYTES = 8 << 20
MAX_BLOB_BYTES = 64 << 20
MAX_BLOBS = 4096
MAX_MESSAGE_BYTES = 256 << 20  # all blobs of one message: bounds what one reply costs the grader
MAX_DEPTH = 64
_HEADER = struct.Struct(">I")
_NUMERIC_KINDS = frozenset("biufc")
_NUMERIC_SCALARS = frozenset(np.dtype(code).type for code in "?bhilqpBHILQPefdgFDG")  # exact types


class WireError(Exception):
    """The peer sent something that is not a valid message (closed, oversized or malformed)."""


# ---------------------------------------------------------------------------------------- framing
def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(min(n - len(chunks), 1 << 20))
        if not chunk:
            raise WireError("connection closed")
        chunks += chunk
    return bytes(chunks)


def _recv_frame(sock: socket.socket, limit: int) -> bytes:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > limit:
        raise WireError(f"frame of {size} bytes exceeds the limit of {limit}")
    return _recv_exact(sock, size)


def send_message(sock: socket.socket, header: dict, blobs: list[bytes] = ()) -> None:
    """Send one message: a JSON header (with the blob count added) followed by its blobs."""
    header = dict(header, blobs=len(blobs))
    payload = json.dumps(header, allow_nan=True).encode()
    parts = [_HEADER.pack(len(payload)), payload]
    for blob in blobs:
        parts += [_HEADER.pack(len(blob)), blob]
    sock.sendall(b"".join(parts))


def recv_message(sock: socket.socket) -> tuple[dict, list[bytes]]:
    """Receive one message; raises WireError on anything malformed."""
    raw = _recv_frame(sock, MAX_JSON_BYTES)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"malformed message: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise WireError("malformed message: not an object")
    count = header.get("blobs", 0)
    if not isinstance(count, int) or not 0 <= count <= MAX_BLOBS:
        raise WireError("malformed message: bad blob count")
    blobs, total = [], 0
    for _ in range(count):
        blob = _recv_frame(sock, min(MAX_BLOB_BYTES, MAX_MESSAGE_BYTES - total))
        total += len(blob)
        blobs.append(blob)
    return header, blobs


# --------------------------------------------------------------------------------------- encoding
def array_to_npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    # keep 0-d as 0-d
    np.save(buffer, np.ascontiguousarray(array) if array.ndim else array, allow_pickle=False)
    return buffer.getvalue()


def npy_to_array(blob: bytes) -> np.ndarray:
    """Load a numeric array from ``.npy`` bytes, never unpickling."""
    try:
        array = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as exc:  # any malformed blob is the sender's fault, reported as such
        raise WireError(f"malformed array: {type(exc).__name__}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in _NUMERIC_KINDS:
        raise WireError("malformed array: not a plain numeric array")
    return array


def decode(node, blobs: list[bytes], make_handle, make_tensor, depth: int = 0):
    """Turn an encoded JSON tree back into plain Python values.

    Args:
        node: the JSON tree.
        blobs: the message's binary frames (``.npy`` arrays).
        make_handle: called with (handle_id, type_name) for objects that stayed behind.
        make_tensor: called with (ndarray, info dict) for torch tensors.
        depth: recursion guard.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [decode(item, blobs, make_handle, make_tensor, depth + 1) for item in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise WireError("malformed value")
    ((tag, body),) = node.items()
    if tag in ("nd", "tensor", "scalar"):
        info = body if isinstance(body, dict) else {}
        index = info.get("blob")
        if not isinstance(index, int) or not 0 <= index < len(blobs):
            raise WireError("malformed value: bad blob index")
        array = npy_to_array(blobs[index])
        if tag == "scalar":
            return array[()]
        return make_tensor(array, info) if tag == "tensor" else array
    if tag == "tuple" and isinstance(body, list):
        return tuple(decode(item, blobs, make_handle, make_tensor, depth + 1) for item in body)
    if tag == "dict" and isinstance(body, list):
        result = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise WireError("malformed dict")
            key = decode(pair[0], blobs, make_handle, make_tensor, depth + 1)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise WireError("malformed dict key")
            result[key] = decode(pair[1], blobs, make_handle, make_tensor, depth + 1)
        return result
    if tag == "handle" and isinstance(body, dict):
        handle_id, type_name = body.get("id"), body.get("type")
        if not isinstance(handle_id, int) or not isinstance(type_name, str):
            raise WireError("malformed handle")
        return make_handle(handle_id, type_name[:200])
    if tag == "float" and body in ("nan", "inf", "-inf"):
        return float(body)
    raise WireError(f"malformed value tag {str(tag)[:40]!r}")


class Encoder:
    """Encodes a value tree; arrays become blobs, unknown objects go through ``on_object``."""

    def __init__(self, on_object, torch_module=None):
        self.blobs: list[bytes] = []
        self._on_object = on_object
        self._torch = torch_module

    def _blob(self, array: np.ndarray) -> int:
        self.blobs.append(array_to_npy(array))
        return len(self.blobs) - 1

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError("value nested too deeply")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return (
                value if value == value and abs(value) != float("inf") else {"float": repr(value)}
            )
        if kind in (list, tuple):
            items = [self.encode(item, depth + 1) for item in value]
            return items if kind is list else {"tuple": items}
        if kind is dict:
            return {
                "dict": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
                ]
            }
        # Converting never runs code of the value's own class (a subclass's properties, __array__,
        # __torch_function__): such code could do work that the call's guard would have refused.
        if isinstance(value, np.ndarray):
            array = np.array(value, copy=True, subok=False)  # a plain copy, whatever the subclass
            if array.dtype.kind in _NUMERIC_KINDS:
                return {"nd": {"blob": self._blob(array)}}
        elif kind in _NUMERIC_SCALARS:
            return {"scalar": {"blob": self._blob(np.asarray(value))}}
        elif self._torch is not None and isinstance(value, self._torch.Tensor):
            encoded = self._tensor(value)
            if encoded is not None:
                return encoded
        return {"handle": self._on_object(value)}

    def _tensor(self, value):
        """A tensor's data as a blob (None for complex ones), read with torch's overrides off."""
        torch = self._torch
        with torch._C.DisableTorchFunction(), torch._C._DisableTorchDispatch():
            plain = torch.Tensor.detach(value).cpu().resolve_conj()
            if plain.is_complex():
                return None
            requires_grad = bool(torch.Tensor.requires_grad.__get__(value))
            array = (
                plain.numpy(force=True) if plain.dtype != torch.bfloat16 else plain.float().numpy()
            )
        info = {"dtype": str(plain.dtype).removeprefix("torch."), "requires_grad": requires_grad}
        info["blob"] = self._blob(array)
        return {"tensor": info}


def describe_error(exc: BaseException) -> dict:
    """An exception of the student's code as plain data: type, message and the line in the
    student's cell (``<cell N>`` frames only, never the grader's), each capped."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename.startswith("<cell"):
            line = (frame.f_code.co_filename, lineno)
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable message>"
    return {
        "type": type(exc).__name__[:1000],
        "message": message[:2000],
        "where": f"{line[0][1:-1][:1000]}, line {line[1]}" if line else None,
    }
