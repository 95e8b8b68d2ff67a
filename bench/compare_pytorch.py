#!/usr/bin/env python3
"""Ours against PyTorch on this machine, side by side: --rounds times, bench (the training step,
inference forward and the GEMM ceiling) then bench/pytorch_unet3d.py, each in a process of its
own, one after the other, each figure the median of at least --steps runs after warm-up. Prints
every round's ratios, then their medians. Figures from different runs are never divided.

    python3 bench/compare_pytorch.py --python ~/venv-torch/bin/python [--rounds 3] [--threads 2]
                                     [--size 48] [--features 8] [--modes eager,channels_last]

--python names the interpreter that has torch (a virtual environment of its own, see
bench/pytorch_unet3d.py); bench is build/bench/bench unless --bench says otherwise.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"compare_pytorch: {' '.join(command)} failed ({done.returncode}):\n"
                 f"{done.stdout}{done.stderr}")
    return done.stdout


def main():
    a = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--python", default=sys.executable, help="an interpreter with torch")
    a.add_argument("--bench", default=os.path.join(HERE, "..", "build", "bench", "bench"))
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--size", type=int, default=48)
    a.add_argument("--features", type=int, default=8)
    a.add_argument("--modes", default="eager,channels_last")
    args = a.parse_args()
    if args.rounds < 1 or args.steps < 10:
        a.error("--rounds must be at least 1 and --steps at least 10")
    shape = ["--size", str(args.size), "--features", str(args.features), "--batch", "1"]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours_json, theirs_json = os.path.join(tmp, "ours.json"), os.path.join(tmp, "theirs.json")
        for round_ in range(1, args.rounds + 1):
            # bench's median takes at least 5 runs or --seconds of them: a step of ~0.2 s and
            # 0.25 s per expected step give at least --steps.
            seconds = str(0.25 * args.steps)
            run([args.bench, "--device", "cpu", *shape, "--seconds", seconds, "--filter",
                 "^(training step|inference forward|ceiling gemm)$", "--json", ours_json], env)
            run([args.python, os.path.join(HERE, "pytorch_unet3d.py"), "--device", "cpu", *shape,
                 "--threads", str(args.threads), "--steps", str(args.steps), "--modes",
                 args.modes, "--json", theirs_json], env)
            ours = {c["name"]: c for c in json.load(open(ours_json))["cases"]}
            theirs = json.load(open(theirs_json))
            step, infer = ours["training step"]["ms"], ours["inference forward"]["ms"]
            gemm = ours["ceiling gemm"]
            gemm_rate = gemm["flops"] / (gemm["ms"] * 1e-3)
            share = ours["training step"]["flops"] / (step * 1e-3) / gemm_rate
            print(f"round {round_}: ours training step {step:.1f} ms ({100 * share:.1f} % of the "
                  f"GEMM ceiling, {gemm_rate / 1e9:.1f} GFLOP/s), inference forward {infer:.1f} ms")
            for mode, r in theirs["modes"].items():
                rs = step / r["training_step_ms"]
                ri = infer / r["inference_ms"]
                ratios.setdefault(mode, []).append((rs, ri))
                print(f"  PyTorch {theirs['torch']} {mode}: training step "
                      f"{r['training_step_ms']:.1f} ms, inference {r['inference_ms']:.1f} ms; "
                      f"ours / theirs: step {rs:.2f}x, inference {ri:.2f}x")
    print(f"medians over {args.rounds} rounds (ours / PyTorch, time):")
    for mode, rs in ratios.items():
        print(f"  {mode}: training step {statistics.median(r[0] for r in rs):.2f}x, "
              f"inference forward {statistics.median(r[1] for r in rs):.2f}x")


if __name__ == "__main__":
    main()
