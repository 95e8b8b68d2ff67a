#!/usr/bin/env python3
"""predict end to end against the same pipeline in PyTorch and nibabel (bench/predict_pytorch.py)
on one 256x256x128 phantom with an f 8, depth 4 model at 96^3, fp32, on the CPU: --rounds times
ours then theirs, each a process of its own, one after the other. Both run the same weights (a
random PyTorch model saved as a plain state_dict, which predict reads too). Ours is the wall time
of the whole predict process (start, checkpoint, read, preprocess, network, resample, argmax,
write); theirs is reported both as its process's wall time and as its in-process pipeline time
(imports and model construction left out), so the second ratio is the one in PyTorch's favour.

    python3 bench/compare_predict.py --python ~/venv-torch/bin/python [--rounds 3] [--threads 2]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "build")


def timed(command, env):
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"compare_predict: {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def main():
    a = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--python", default=sys.executable, help="an interpreter with torch, nibabel "
                   "and safetensors")
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--threads", type=int, default=2)
    args = a.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        timed([os.path.join(BUILD, "tools", "make_phantoms"), "--out", tmp, "--phantoms", "1",
               "--phantom-size", "256,256,128"], env)
        images = os.path.join(tmp, "semantic_MRs")
        image = os.path.join(images, os.listdir(images)[0])
        model = os.path.join(tmp, "model.safetensors")
        timed([args.python, "-c",
               "import sys, torch; sys.path.insert(0, sys.argv[1]);"
               "from pytorch_unet3d import UNet3D; from safetensors.torch import save_file;"
               "torch.manual_seed(0); save_file(UNet3D(1, 6, 8, 4).state_dict(), sys.argv[2])",
               HERE, model], env)
        ratios_process, ratios_pipeline = [], []
        for round_ in range(1, args.rounds + 1):
            ours, _ = timed([os.path.join(BUILD, "tools", "predict"), "--device", "cpu",
                             "--checkpoint", model, "--size", "96", "--input", image, "--out",
                             os.path.join(tmp, "ours")], env)
            theirs, out = timed([args.python, os.path.join(HERE, "predict_pytorch.py"),
                                 "--checkpoint", model, "--input", image, "--output",
                                 os.path.join(tmp, "theirs_seg.nii.gz"), "--threads",
                                 str(args.threads), "--runs", "1"], env)
            pipeline = float(out.split()[-1])
            ratios_process.append(ours / theirs)
            ratios_pipeline.append(ours / pipeline)
            print(f"round {round_}: predict {ours:.2f} s; PyTorch + nibabel process {theirs:.2f} s, "
                  f"pipeline {pipeline:.2f} s; ours / theirs {ours / theirs:.2f}x (process), "
                  f"{ours / pipeline:.2f}x (pipeline)")
        print(f"medians over {args.rounds} rounds: {statistics.median(ratios_process):.2f}x the "
              f"process's time, {statistics.median(ratios_pipeline):.2f}x the pipeline's")


if __name__ == "__main__":
    main()
