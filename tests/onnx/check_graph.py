"""ONNX's own checker over an exported graph, with shape inference (full_check), then the graph's
opset, inputs, outputs and metadata_props as JSON on stdout. Run by Debian's python3 (python3-onnx),
as tests/e2e/test_onnx_export.cpp does:

    python3 tests/onnx/check_graph.py MODEL.onnx
"""
import json
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)


def dims(value):
    return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]


print(json.dumps({
    "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
    "inputs": {v.name: dims(v) for v in model.graph.input},
    "outputs": {v.name: dims(v) for v in model.graph.output},
    "metadata": {p.key: p.value for p in model.metadata_props},
}))
