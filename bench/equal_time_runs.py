#!/usr/bin/env python3
"""Trains several configurations one after the other to the same summed training time.

A fixed --epochs cannot give two runs equal training time on a machine whose speed drifts, so
each run trains --first epochs, then is extended with `trainer --resume DIR --epochs N` (N from
its recent epochs' pace) until the `seconds` column of its metrics.csv sums to at least
--seconds minus half the tolerance. A run whose folder already holds a metrics.csv (trained
before, e.g. for an equal-epochs comparison) is only extended. Prints each run's epochs and
summed seconds.

  python3 bench/equal_time_runs.py --out runs/modes --seconds 1200 --first 32 \\
      --common "--device cpu --phantom-size 256,256,128 --features 8 --depth 4 --batch 2" \\
      --run resize="--mode resize" --run patch="--mode patch"
"""
import argparse
import csv
import os
import shlex
import subprocess


def summed_seconds(folder):
    with open(os.path.join(folder, "metrics.csv")) as f:
        return [float(row["seconds"]) for row in csv.DictReader(f)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainer", default="build/tools/trainer")
    parser.add_argument("--out", required=True, help="one run folder per --run inside it")
    parser.add_argument("--seconds", type=float, default=1200)
    parser.add_argument("--tolerance", type=float, default=0.05, help="as a fraction")
    parser.add_argument("--first", type=int, required=True, help="epochs before any extension")
    parser.add_argument("--common", default="", help="flags every run gets")
    parser.add_argument("--run", action="append", required=True, metavar="NAME=FLAGS")
    args = parser.parse_args()
    enough = args.seconds * (1 - args.tolerance / 2)
    for spec in args.run:
        name, _, flags = spec.partition("=")
        folder = os.path.join(args.out, name)
        if os.path.exists(os.path.join(folder, "metrics.csv")):
            epochs = len(summed_seconds(folder))
        else:
            command = [args.trainer, *shlex.split(args.common), *shlex.split(flags),
                       "--epochs", str(args.first), "--out", folder]
            print(" ".join(command), flush=True)
            subprocess.run(command, check=True)
            epochs = args.first
        while True:
            seconds = summed_seconds(folder)
            recent = seconds[-8:]
            if sum(seconds) >= enough:
                break
            epochs += max(1, round((args.seconds - sum(seconds)) / (sum(recent) / len(recent))))
            command = [args.trainer, "--resume", folder, "--epochs", str(epochs)]
            print(" ".join(command), flush=True)
            subprocess.run(command, check=True)
        print(f"{name}: {epochs} epochs, {sum(seconds):.1f} s of training", flush=True)


if __name__ == "__main__":
    main()
