#!/usr/bin/env python3
"""predict's pipeline written with PyTorch and nibabel, for bench/compare_predict.py: read a
NIfTI volume, resize it to S^3 (trilinear), z-score it, run the UNet3D of pytorch_unet3d.py in
evaluation mode, softmax, resize the probabilities back to the volume's grid (trilinear), argmax,
and write the label map with the input's affine, in fp32 on the CPU. Prints the median seconds
of the pipeline over --runs (the model built once, before timing) as "pipeline_s <value>".

    ~/venv-torch/bin/pip install torch nibabel safetensors
    ~/venv-torch/bin/python bench/predict_pytorch.py --checkpoint model.safetensors \
        --input volume.nii.gz --output seg.nii.gz [--size 96] [--threads 2] [--runs 3]
"""
import argparse
import os
import statistics
import sys
import time

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_unet3d import UNet3D  # noqa: E402


def pipeline(model, size, source, target):
    image = nib.load(source)
    x = torch.from_numpy(np.asarray(image.dataobj, dtype=np.float32).transpose(2, 1, 0).copy())
    native = x.shape
    x = F.interpolate(x[None, None], size=(size, size, size), mode="trilinear",
                      align_corners=False)
    x = (x - x.mean()) / x.std(unbiased=False).clamp_min(1e-8)
    with torch.no_grad():
        p = torch.softmax(model(x), dim=1)
        p = F.interpolate(p, size=native, mode="trilinear", align_corners=False)
        labels = p.argmax(dim=1)[0].to(torch.uint8).numpy().transpose(2, 1, 0)
    nib.save(nib.Nifti1Image(labels, image.affine, image.header), target)


def main():
    a = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--checkpoint", required=True)
    a.add_argument("--input", required=True)
    a.add_argument("--output", required=True)
    a.add_argument("--size", type=int, default=96)
    a.add_argument("--features", type=int, default=8)
    a.add_argument("--depth", type=int, default=4)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--runs", type=int, default=3)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    model = UNet3D(1, 6, args.features, args.depth)
    model.load_state_dict(load_file(args.checkpoint), strict=True)
    model.eval()
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        pipeline(model, args.size, args.input, args.output)
        times.append(time.perf_counter() - t0)
    print(f"pipeline_s {statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
