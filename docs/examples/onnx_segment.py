"""Segments a NIfTI volume with an exported resize-mode model in onnxruntime, as predict does:
resize to the model's input size, normalise, run, softmax, resize the probabilities back to the
volume's own grid, argmax, and write a uint8 label map with the input's geometry.

    python onnx_segment.py MODEL.onnx IMAGE.nii.gz OUT_seg.nii.gz
"""
import sys

import nibabel as nib
import numpy as np
import onnxruntime as ort


def resize(volume, shape):
    """Trilinear along the last three axes, as torch's interpolate(align_corners=False)."""
    for axis, n in zip((-3, -2, -1), shape):
        size = volume.shape[axis]
        scale = np.float32(size) / np.float32(n)
        src = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
        src = np.maximum(src, np.float32(0))
        lo = np.minimum(src.astype(np.int64), size - 1)
        hi = np.minimum(lo + 1, size - 1)
        t = (src - lo).astype(np.float32).reshape((-1,) + (1,) * (-axis - 1))
        volume = np.take(volume, lo, axis) * (1 - t) + np.take(volume, hi, axis) * t
    return volume


def normalise(volume, rule):
    """One channel's entry of the 'normalization' metadata: zscore or ct:lo,hi,mean,std."""
    if rule.startswith("ct:"):
        lo, hi, mean, std = map(float, rule[3:].split(","))
        return (np.clip(volume, lo, hi) - mean) / std
    return (volume - volume.mean()) / max(float(volume.std()), 1e-8)


model, image_path, out_path = sys.argv[1:4]
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
meta = session.get_modelmeta().custom_metadata_map
if meta.get("mode", "resize") != "resize":
    sys.exit("a patch-mode model needs the sliding window (docs/deployment.md)")
side = int(meta["input_size"])
image = nib.load(image_path)
volume = np.asarray(image.dataobj, dtype=np.float32).transpose(2, 1, 0)  # x,y,z -> z,y,x
rule = meta.get("normalization", "zscore").split(";")[0]
x = normalise(resize(volume, (side, side, side)), rule)[None, None].astype(np.float32)
(logits,) = session.run(["logits"], {"image": x})
p = np.exp(logits[0] - logits[0].max(axis=0))
p /= p.sum(axis=0)
labels = resize(p, volume.shape).argmax(axis=0).astype(np.uint8).transpose(2, 1, 0)
out = nib.Nifti1Image(labels, image.affine, image.header)
out.set_data_dtype(np.uint8)
nib.save(out, out_path)
print(f"{out_path}: {labels.shape}, classes {np.unique(labels).tolist()}")
