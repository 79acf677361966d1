"""Cut an ONNX graph after an inner tensor, reading and writing the protobuf wire format directly.

Why not the `onnx` package: the accurate mode needs the packaged MiniLM cut after its lower
layers every time an encoder is built, and importing `onnx` (plus its Extractor's shape
inference) cost more than the cut itself and put a 25 MiB dependency in every install; `onnx` is
now needed only by training (the `train` extra), to read layer weights. The cut is a small edit
of a few fields of the model file, so it is done here on the bytes: the graph's outputs are
replaced, and the nodes, initializers and value infos the new outputs do not depend on are
dropped. Cutting the 22 MB packaged file takes about 0.2 s (less than `import onnx` alone), so
the result is not cached.

Only what that edit needs of the ONNX schema (onnx.proto, field numbers) is used:
ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11, output = 12,
value_info = 13; NodeProto.input = 1, output = 2, op_type = 4; TensorProto.name = 8;
ValueInfoProto.name = 1. Graphs with control-flow subgraphs (If, Loop, Scan) are refused: their
bodies may read outer tensors this walk would not see.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.errors import DetenteError

MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO = 1, 5, 11, 12, 13
NODE_INPUT, NODE_OUTPUT, NODE_OP_TYPE = 1, 2, 4
TENSOR_NAME = 8
VALUE_INFO_NAME = 1
LENGTH_DELIMITED = 2
CONTROL_FLOW_OPS = frozenset({"If", "Loop", "Scan"})


@dataclass(frozen=True)
class Field:
    """One field of a protobuf message: its number, wire type, raw bytes (key included) and, for
    length-delimited fields, the payload."""

    number: int
    wire_type: int
    raw: memoryview
    payload: memoryview


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise DetenteError("truncated ONNX model file")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# bytes after the key for the fixed-width wire types (1: 64-bit, 5: 32-bit)
_FIXED_WIDTH = {1: 8, 5: 4}


def fields(message: bytes | memoryview) -> list[Field]:
    """The top-level fields of one serialized message, in file order (views into `message`, so
    that the megabytes of weights are never copied)."""
    buf = memoryview(message)
    out, pos = [], 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        payload = buf[0:0]
        if wire_type == 0:
            _, pos = _varint(buf, pos)
        elif wire_type == LENGTH_DELIMITED:
            size, pos = _varint(buf, pos)
            payload = buf[pos : pos + size]
            pos += size
        elif wire_type in _FIXED_WIDTH:
            pos += _FIXED_WIDTH[wire_type]
        else:
            raise DetenteError(f"unsupported protobuf wire type {wire_type} in the ONNX model file")
        if pos > len(buf):
            raise DetenteError("truncated ONNX model file")
        out.append(Field(number, wire_type, buf[start:pos], payload))
    return out


def _length_delimited(number: int, payload: bytes | memoryview) -> bytes:
    return b"".join((_encode_varint(number << 3 | LENGTH_DELIMITED), _encode_varint(len(payload)), payload))


def _strings(message: memoryview, number: int) -> list[str]:
    return [str(f.payload, "utf-8") for f in fields(message) if f.number == number]


def _graph(model: bytes) -> memoryview:
    for f in fields(model):
        if f.number == MODEL_GRAPH:
            return f.payload
    raise DetenteError("the ONNX model file has no graph")


def layer_output_name(model: bytes, layer: int) -> str:
    """The output of BERT layer `layer` (its last LayerNormalization) in an exported MiniLM graph."""
    bias = f"inner.encoder.layer.{layer}.output.LayerNorm.bias"
    for f in fields(_graph(model)):
        if f.number != GRAPH_NODE:
            continue
        node = fields(f.payload)
        op = next((str(g.payload, "utf-8") for g in node if g.number == NODE_OP_TYPE), "")
        if op == "LayerNormalization" and bias in _strings(f.payload, NODE_INPUT):
            return _strings(f.payload, NODE_OUTPUT)[0]
    raise DetenteError(f"unexpected encoder graph: no output of layer {layer}")


def _needed_nodes(graph_fields: list[Field], outputs: list[str]) -> tuple[set[int], set[str]]:
    """Indexes (in graph_fields) of the nodes the outputs depend on, and every tensor they read.
    ONNX stores nodes in topological order, so one walk from the end finds them all."""
    needed_tensors, keep = set(outputs), set()
    for i in range(len(graph_fields) - 1, -1, -1):
        f = graph_fields[i]
        if f.number != GRAPH_NODE:
            continue
        if any(
            g.number == NODE_OP_TYPE and str(g.payload, "utf-8") in CONTROL_FLOW_OPS
            for g in fields(f.payload)
        ):
            raise DetenteError("cannot cut an ONNX graph with control-flow subgraphs")
        if needed_tensors.intersection(_strings(f.payload, NODE_OUTPUT)):
            keep.add(i)
            needed_tensors.update(_strings(f.payload, NODE_INPUT))
    return keep, needed_tensors


def _output_infos(graph_fields: list[Field], outputs: list[str]) -> list[bytes]:
    """ValueInfoProto fields for the new outputs: the graph's own value info of each tensor (its
    type and shape), or a bare name when the graph has none."""
    known = {}
    for f in graph_fields:
        if f.number in (GRAPH_VALUE_INFO, GRAPH_OUTPUT):
            names = _strings(f.payload, VALUE_INFO_NAME)
            if names:
                known[names[0]] = f.payload
    return [
        _length_delimited(GRAPH_OUTPUT, known.get(name) or _length_delimited(VALUE_INFO_NAME, name.encode()))
        for name in outputs
    ]


def _kept(f: Field, index: int, keep_nodes: set[int], needed: set[str], outputs: list[str]) -> bool:
    """Whether a graph field stays in the cut graph (outputs are written anew, not kept)."""
    if f.number == GRAPH_NODE:
        return index in keep_nodes
    if f.number == GRAPH_INITIALIZER:
        return bool(needed.intersection(_strings(f.payload, TENSOR_NAME)))
    if f.number == GRAPH_VALUE_INFO:
        names = _strings(f.payload, VALUE_INFO_NAME)
        return bool(names) and names[0] in needed and names[0] not in outputs
    return f.number != GRAPH_OUTPUT


def outputs_cut(model: bytes, outputs: list[str]) -> bytes:
    """The serialized model with `outputs` as the graph's only outputs and everything they do not
    depend on removed (the graph inputs stay as they are)."""
    graph_fields = fields(_graph(model))
    keep_nodes, needed = _needed_nodes(graph_fields, outputs)
    produced = {n for i in keep_nodes for n in _strings(graph_fields[i].payload, NODE_OUTPUT)}
    missing = [name for name in outputs if name not in produced]
    if missing:
        raise DetenteError(f"no node of the ONNX graph produces {missing}")
    parts, outputs_written = [], False
    for i, f in enumerate(graph_fields):
        if f.number == GRAPH_OUTPUT and not outputs_written:
            parts.extend(_output_infos(graph_fields, outputs))
            outputs_written = True
        if _kept(f, i, keep_nodes, needed, outputs):
            parts.append(f.raw)
    if not outputs_written:
        parts.extend(_output_infos(graph_fields, outputs))
    graph = b"".join(parts)
    return b"".join(
        _length_delimited(MODEL_GRAPH, graph) if f.number == MODEL_GRAPH else f.raw for f in fields(model)
    )
