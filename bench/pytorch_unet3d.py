#!/usr/bin/env python3
"""The PyTorch baseline bench compares against: the same UNet3D (docs/model.md names),
Dice loss and Adam, one training step (forward, loss, backward, optimizer step) and one
inference forward, timed the same way on the same device: the median of --steps runs after
warm-up. Modes: eager (NCDHW), channels_last (channels_last_3d), compile (torch.compile of the
eager model); fp32 on the CPU, AMP (float16 autocast with a GradScaler) on a GPU with
cudnn.benchmark.

Run it with current PyTorch in a virtual environment of its own, never the project's build:
    python3 -m venv ~/venv-torch && ~/venv-torch/bin/pip install torch
    ~/venv-torch/bin/python bench/pytorch_unet3d.py --device cpu --threads 2
bench/compare_pytorch.py alternates it with bench and prints the ratios.

With --max-seconds the timed repetitions stop once that much time has passed (after at least
one, warm-up excluded); the warm-up's own time (cudnn.benchmark's autotuning is in it) is
printed beside each figure.

usage: pytorch_unet3d.py [--device cpu|cuda] [--size S] [--features F] [--depth D] [--batch B]
                         [--threads N] [--steps N] [--modes eager,channels_last,compile]
                         [--max-seconds T] [--json FILE] [--compare bench.json]
"""
import argparse
import contextlib
import json
import math
import statistics
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(x)))


class UNet3D(nn.Module):
    def __init__(self, in_channels=1, num_classes=6, init_features=32, depth=4):
        super().__init__()
        self.depth = depth
        f = init_features
        cin = in_channels
        for i in range(1, depth + 1):
            setattr(self, f"enc{i}", Block(cin, f << (i - 1)))
            cin = f << (i - 1)
        self.bottleneck = Block(cin, f << depth)
        for i in range(depth, 0, -1):
            setattr(self, f"up{i}", nn.ConvTranspose3d(f << i, f << (i - 1), 2, stride=2))
            setattr(self, f"dec{i}", Block(f << i, f << (i - 1)))
        self.head = nn.Conv3d(f, num_classes, 1)

    def forward(self, x):
        skips = []
        for i in range(1, self.depth + 1):
            x = getattr(self, f"enc{i}")(x)
            skips.append(x)
            x = nn.functional.max_pool3d(x, 2)
        x = self.bottleneck(x)
        for i in range(self.depth, 0, -1):
            x = getattr(self, f"up{i}")(x)
            x = getattr(self, f"dec{i}")(torch.cat([x, skips[i - 1]], dim=1))
        return self.head(x)


def dice_loss(logits, labels, eps=1e-5):
    p = torch.softmax(logits.float(), dim=1)
    g = nn.functional.one_hot(labels, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    dice = (2 * (p * g).sum(dims) + eps) / (p.sum(dims) + g.sum(dims) + eps)
    return 1 - dice.mean()


def time_steps(step, steps, device, deadline):
    """(median ms of up to `steps` timed runs, warm-up seconds): 3 warm-ups first, untimed;
    past `deadline` (time.monotonic()) the timed runs stop after the first."""
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    begun = time.perf_counter()
    for _ in range(3):
        step()
    sync()
    warm_up = time.perf_counter() - begun
    times = []
    while len(times) < steps and not (times and time.monotonic() > deadline):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), warm_up, len(times)


def compare(results, bench_json):
    """Our/their ratios from bench's --json output, where it holds the figures."""
    try:
        bench = json.load(open(bench_json))
        ours_ms, ours_bytes = bench["training_step_ms"], bench["peak_memory_bytes"]
    except (OSError, ValueError, KeyError) as e:
        print(f"no comparison: {bench_json} gives no training step ({e})")
        return
    if ours_ms is None:
        print(f"no comparison: {bench_json} has no training step figure (bench did not time it)")
        return
    for mode, r in results.items():
        peak = r["peak_mb"]
        memory = ""
        if ours_bytes is not None and not math.isnan(peak):
            memory = f", {ours_bytes / 1e6 / peak:.2f}x the peak memory"
        print(f"unet3d-cuda / PyTorch {mode}: {ours_ms / r['training_step_ms']:.2f}x the time{memory}")


def main():
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a.add_argument("--size", type=int)
    a.add_argument("--features", type=int)
    a.add_argument("--depth", type=int, default=4)
    a.add_argument("--batch", type=int)
    a.add_argument("--threads", type=int, default=0)
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--max-seconds", type=float, help="stop timing once this much time has passed")
    a.add_argument("--modes", help="comma-separated: eager, channels_last, compile "
                   "(default: eager,channels_last on the CPU, channels_last on a GPU)")
    a.add_argument("--json", help="also write every figure here")
    a.add_argument("--compare", help="bench's --json output, to print our/their ratios")
    args = a.parse_args()
    gpu = args.device == "cuda"
    size = args.size or (96 if gpu else 48)
    features = args.features or (32 if gpu else 8)
    batch = args.batch or (2 if gpu else 1)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    modes = (args.modes or ("channels_last" if gpu else "eager,channels_last")).split(",")
    for mode in modes:
        if mode not in ("eager", "channels_last", "compile"):
            a.error(f"--modes: unknown mode '{mode}' (eager, channels_last, compile)")
    if gpu:
        torch.backends.cudnn.benchmark = True
    deadline = time.monotonic() + (args.max_seconds or math.inf)
    results = {}
    for mode in modes:
        if "compile" in mode and not hasattr(torch, "compile"):
            print(f"{mode}: skipped (this PyTorch has no torch.compile)")
            continue
        model = UNet3D(1, 6, features, args.depth).to(args.device)
        x = torch.randn(batch, 1, size, size, size, device=args.device)
        y = torch.randint(0, 6, (batch, size, size, size), device=args.device)
        if mode == "channels_last":
            model = model.to(memory_format=torch.channels_last_3d)
            x = x.to(memory_format=torch.channels_last_3d)
        forward = torch.compile(model) if "compile" in mode else model
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        # torch.amp.GradScaler since torch 2.3; torch.cuda.amp's before
        if hasattr(torch.amp, "GradScaler"):
            scaler = torch.amp.GradScaler("cuda", enabled=gpu)
        else:
            scaler = torch.cuda.amp.GradScaler(enabled=gpu)

        def step():
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type="cuda", dtype=torch.float16) if gpu else contextlib.nullcontext():
                loss = dice_loss(forward(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()

        def infer():
            with torch.no_grad(), torch.autocast(device_type="cuda", dtype=torch.float16) if gpu \
                    else contextlib.nullcontext():
                forward(x)

        if gpu:
            torch.cuda.reset_peak_memory_stats()
        model.train()
        ms, warm_up, steps = time_steps(step, args.steps, args.device, deadline)
        peak = torch.cuda.max_memory_allocated() / 1e6 if gpu else float("nan")
        model.eval()
        infer_ms, infer_warm_up, infers = time_steps(infer, args.steps, args.device, deadline)
        results[mode] = {"training_step_ms": ms, "inference_ms": infer_ms, "peak_mb": peak,
                         "warm_up_s": warm_up, "steps_timed": steps}
        print(f"{mode}: training step {ms:.1f} ms (median of {steps}; warm-up {warm_up:.1f} s), "
              f"inference forward {infer_ms:.1f} ms (of {infers}; warm-up {infer_warm_up:.1f} s), "
              f"peak memory {peak:.0f} MB (PyTorch {torch.__version__}, {args.device}, size {size}, "
              f"features {features}, batch {batch}, threads {torch.get_num_threads()})", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "modes": results}, f)
    if args.compare:
        compare(results, args.compare)


if __name__ == "__main__":
    main()
