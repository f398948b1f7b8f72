"""The few ONNX protobuf messages a plain graph needs, encoded by hand.

Why not the `onnx` package: importing it takes 1-2 s on two cores (it loads ml_dtypes),
more than building and loading the whole graph, on the path of a new data dir's first
search. The messages below are a small, stable part of onnx.proto (field numbers from
onnx/onnx.proto, unchanged since IR version 3); the tests check what this writes with
`onnx.checker` and against the `onnx` package's own encoding.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

# TensorProto.DataType
FLOAT = 1
INT64 = 7
_DATA_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}
# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negatives as int64 two's complement, as protobuf writes them
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _str(field: int, text: str) -> bytes:
    return _bytes(field, text.encode())


def _attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    if isinstance(value, float):
        body = _varint(2 << 3 | 5) + struct.pack("<f", value)
        kind = _ATTR_FLOAT
    elif isinstance(value, int):
        body, kind = _int(3, value), _ATTR_INT
    else:
        body, kind = b"".join(_int(8, v) for v in value), _ATTR_INTS
    return _str(1, name) + body + _int(20, kind)


def node(op_type: str, inputs: Iterable[str], output: str, **attributes: Any) -> bytes:
    """A NodeProto with one output, named after it."""
    parts = [_str(1, i) for i in inputs]
    parts += [_str(2, output), _str(3, output), _str(4, op_type)]
    parts += [_bytes(5, _attribute(k, v)) for k, v in attributes.items()]
    return b"".join(parts)


def tensor(name: str, array: np.ndarray[Any, Any]) -> bytes:
    """A TensorProto holding `array` (float32 or int64) as little-endian raw data."""
    # Not ascontiguousarray: it makes a scalar (a 0-d constant) one-dimensional.
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    dims = b"".join(_int(1, d) for d in array.shape)
    return dims + _int(2, _DATA_TYPES[array.dtype]) + _str(8, name) + _bytes(9, array.tobytes())


def value_info(name: str, elem_type: int, dims: Sequence[int | str]) -> bytes:
    """A ValueInfoProto: a tensor of `elem_type` whose dims are sizes or symbolic names."""
    shape = b"".join(_bytes(1, _str(2, d) if isinstance(d, str) else _int(1, d)) for d in dims)
    tensor_type = _int(1, elem_type) + _bytes(2, shape)
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def model(
    name: str,
    nodes: Sequence[bytes],
    initializers: Sequence[bytes],
    inputs: Sequence[bytes],
    outputs: Sequence[bytes],
    *,
    opset: int,
    ir_version: int,
) -> bytes:
    """A serialized ModelProto of one graph in the default ("") domain."""
    graph = b"".join(
        [
            *(_bytes(1, n) for n in nodes),
            _str(2, name),
            *(_bytes(5, t) for t in initializers),
            *(_bytes(11, i) for i in inputs),
            *(_bytes(12, o) for o in outputs),
        ]
    )
    opset_import = _str(1, "") + _int(2, opset)
    return _int(1, ir_version) + _bytes(8, opset_import) + _bytes(7, graph)
