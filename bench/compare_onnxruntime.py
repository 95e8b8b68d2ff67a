#!/usr/bin/env python3
"""Our inference forward against onnxruntime's on the same network and machine, side by side:
--rounds times, bench's "inference forward" then onnxruntime on export's graph of the same
network (the original UNet3D, 6 classes, one channel, batch 1), each in a process of its own, one
after the other, each figure the median of at least --steps runs after warm-up. Prints every
round's ratio, then their median. Figures from different runs are never divided.

    python3 bench/compare_onnxruntime.py --python build/onnx-test-venv/bin/python [--rounds 3]
                                         [--threads 2] [--size 48] [--features 8] [--depth 4]

--python names an interpreter with onnxruntime and numpy (tools/test.sh makes one); bench and
export are build/bench/bench and build/tools/export unless --bench and --export say otherwise.
Weights are random (timing does not depend on them); the graph is exported from a plain
state_dict this script writes, as a PyTorch user's save_file would.
"""
import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Times one graph in onnxruntime: warm-up, then the median of --steps runs, in ms, as JSON.
TIMER = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort
model, size, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
image = np.random.default_rng(0).standard_normal((1, 1, size, size, size), dtype=np.float32)
for _ in range(2):
    session.run(["logits"], {"image": image})
times = []
for _ in range(steps):
    start = time.perf_counter()
    session.run(["logits"], {"image": image})
    times.append(1e3 * (time.perf_counter() - start))
times.sort()
print(json.dumps({"ms": times[len(times) // 2], "onnxruntime": ort.__version__}))
"""


def run(command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"compare_onnxruntime: {' '.join(command)} failed ({done.returncode}):\n"
                 f"{done.stdout}{done.stderr}")
    return done.stdout


def state_dict_shapes(features, depth, classes=6):
    """The original network's tensors in PyTorch's names and layouts (docs/formats.md)."""
    shapes = []

    def block(name, cin, cout):
        for conv, inputs in (("1", cin), ("2", cout)):
            shapes.append((f"{name}.conv{conv}.weight", [cout, inputs, 3, 3, 3]))
            for part in ("weight", "bias", "running_mean", "running_var"):
                shapes.append((f"{name}.bn{conv}.{part}", [cout]))
            shapes.append((f"{name}.bn{conv}.num_batches_tracked", []))

    cin = 1
    for level in range(1, depth + 1):
        block(f"enc{level}", cin, features << (level - 1))
        cin = features << (level - 1)
    block("bottleneck", cin, features << depth)
    for level in range(depth, 0, -1):
        shapes.append((f"up{level}.weight", [features << level, features << (level - 1), 2, 2, 2]))
        shapes.append((f"up{level}.bias", [features << (level - 1)]))
        block(f"dec{level}", features << level, features << (level - 1))
    shapes.append(("head.weight", [classes, features, 1, 1, 1]))
    shapes.append(("head.bias", [classes]))
    return shapes


def write_state_dict(path, features, depth):
    """A safetensors file without metadata: small random weights, positive running variances."""
    import random
    rng = random.Random(1)
    header, data = {}, bytearray()
    for name, shape in state_dict_shapes(features, depth):
        count = 1
        for d in shape:
            count *= d
        if name.endswith("num_batches_tracked"):
            raw = struct.pack("<q", 1)
            dtype = "I64"
        else:
            low = 0.5 if name.endswith("running_var") else -0.1
            raw = struct.pack(f"<{count}f", *(rng.uniform(low, low + 0.2) for _ in range(count)))
            dtype = "F32"
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + data)


def main():
    a = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--python", default=sys.executable, help="an interpreter with onnxruntime")
    a.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench"))
    a.add_argument("--export", default=os.path.join(HERE, "..", "build", "tools", "export"))
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--size", type=int, default=48)
    a.add_argument("--features", type=int, default=8)
    a.add_argument("--depth", type=int, default=4)
    args = a.parse_args()
    if args.rounds < 1 or args.steps < 10:
        a.error("--rounds must be at least 1 and --steps at least 10")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        weights, graph = os.path.join(tmp, "model.safetensors"), os.path.join(tmp, "model.onnx")
        ours_json = os.path.join(tmp, "ours.json")
        write_state_dict(weights, args.features, args.depth)
        run([args.export, "--checkpoint", weights, "--out", graph])
        for round_ in range(1, args.rounds + 1):
            run([args.bench, "--device", "cpu", "--threads", str(args.threads), "--size",
                 str(args.size), "--features", str(args.features), "--depth", str(args.depth),
                 "--batch", "1", "--seconds", str(0.25 * args.steps), "--filter",
                 "^inference forward$", "--json", ours_json], env)
            ours = {c["name"]: c for c in json.load(open(ours_json))["cases"]}
            infer = ours["inference forward"]["ms"]
            theirs = json.loads(run([args.python, "-c", TIMER, graph, str(args.size),
                                     str(args.threads), str(args.steps)], env))
            ratio = infer / theirs["ms"]
            ratios.append(ratio)
            print(f"round {round_}: ours inference forward {infer:.1f} ms, onnxruntime "
                  f"{theirs['onnxruntime']} {theirs['ms']:.1f} ms; ours / theirs {ratio:.2f}x")
    print(f"median over {args.rounds} rounds (ours / onnxruntime, time): "
          f"{statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
