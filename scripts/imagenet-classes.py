"""Writes src/io/imagenet-classes.ts: torchvision's 1000 ImageNet class names (models/_meta.py).

Run from the repository root with Debian's python3-torchvision:  /usr/bin/python3 scripts/imagenet-classes.py
"""
import json

import torchvision
from torchvision.models._meta import _IMAGENET_CATEGORIES as CLASSES

assert len(CLASSES) == 1000
version = torchvision.__version__.split("a")[0].split("+")[0]
lines = [
    "/**",
    " * The 1000 ImageNet-1k class names in class-index order, as torchvision ships them",
    f" * (torchvision/models/_meta.py, _IMAGENET_CATEGORIES; torchvision {version}): what `--labels imagenet` and",
    " * a sidecar's `\"labels\": \"imagenet\"` name the outputs of a torchvision classifier.",
    " * Written by scripts/imagenet-classes.py.",
    " */",
    "export const IMAGENET_CLASSES: readonly string[] = Object.freeze([",
]
for i in range(0, 1000, 6):
    lines.append("  " + " ".join(json.dumps(c) + "," for c in CLASSES[i:i + 6]))
lines.append("]);")
with open("src/io/imagenet-classes.ts", "w") as f:
    f.write("\n".join(lines) + "\n")
