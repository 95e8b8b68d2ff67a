"""Runs an exported graph in onnxruntime on the CPU: reads a raw little-endian float32 input of
shape N,C,D,H,W, writes the 'logits' output as raw float32 and prints its shape. Run by the test
environment's interpreter (tools/test.sh makes it), as tests/e2e/test_onnx_export.cpp does:

    python tests/onnx/run_graph.py MODEL.onnx INPUT.f32 N,C,D,H,W LOGITS.f32
"""
import sys

import numpy as np
import onnxruntime as ort

model, input_path, shape, output_path = sys.argv[1:5]
image = np.fromfile(input_path, dtype="<f4").reshape([int(s) for s in shape.split(",")])
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
(logits,) = session.run(["logits"], {"image": image})
logits.astype("<f4").tofile(output_path)
print(",".join(str(s) for s in logits.shape))
