"""Exports FULL-size torchvision classifiers to ONNX for the benchmark and the README's example.

    /usr/bin/python3 scripts/onnx-export-full.py                      # resnet18, pretrained weights
    /usr/bin/python3 scripts/onnx-export-full.py resnet50 vit_b_16 --opset 17
    /usr/bin/python3 scripts/onnx-export-full.py resnet18 --state-dict my-resnet18.pth
    /usr/bin/python3 scripts/onnx-export-full.py resnet18 --random   # no download: seeded random weights

Writes out/onnx-models/<name>.onnx and its sidecar <name>.onnx.json (the weights' own resize, crop,
mean and std, and "labels": "imagenet"), which `camlab` reads next to the model. out/ is
git-ignored: these files are generated, never committed (ResNet-18 is 45 MB).
scripts/make-bench-models.py builds the benchmark's ResNet-18 with `build` and `export` from here
(the --random weights), so the benchmark runs exactly what `resnet18 --random` writes.

Pretrained weights come from torchvision's download URL (or its cache in ~/.cache/torch); without
network access pass --state-dict with a local file, or --random for seeded random weights (the
model then runs and explains, but its predictions mean nothing, and the sidecar names no labels).

The batch axis is exported as dynamic (dynamic_axes), so torch keeps its shape arithmetic and
camlab tracks the batch through it (transformers then run whole batches at once); --static-batch
exports batch 1 as a plain torch.onnx.export call does.
"""
import argparse
import json
import os
import sys

import torch
import torchvision

OUT = "out/onnx-models"


def build(name, args):
    """The model in eval mode and the sidecar of its preprocessing."""
    if args.random or args.state_dict:
        model = torchvision.models.get_model(name, weights=None)
        if args.state_dict:
            model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
        else:
            torch.manual_seed(0)
            for m in model.modules():  # seeded, and BatchNorm not the identity
                if isinstance(m, torch.nn.BatchNorm2d):
                    with torch.no_grad():
                        m.running_mean.normal_(0, 0.1)
                        m.running_var.uniform_(0.5, 1.5)
        sidecar = {"size": 256, "crop": 224, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
        if args.state_dict:
            sidecar["labels"] = "imagenet"
        return model.eval(), sidecar
    weights = torchvision.models.get_model_weights(name).DEFAULT
    try:
        model = torchvision.models.get_model(name, weights=weights)
    except Exception as e:  # no network and no cache
        sys.exit(f"onnx-export-full: cannot get the pretrained {name} weights ({e}); pass --state-dict FILE or --random")
    t = weights.transforms()
    sidecar = {"size": t.resize_size[0], "crop": t.crop_size[0], "mean": list(t.mean), "std": list(t.std), "labels": "imagenet"}
    return model.eval(), sidecar


def export(name, model, sidecar, out, opset=17, static_batch=False):
    """Writes <out>/<name>.onnx (input `input`, output `logits`, dynamic batch unless static_batch) and its sidecar."""
    size = sidecar["crop"]
    x = torch.rand(1, 3, size, size)
    path = f"{out}/{name}.onnx"
    dynamic = None if static_batch else {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["logits"], dynamic_axes=dynamic)
    with open(f"{path}.json", "w") as f:
        json.dump(sidecar, f, indent=1)
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", default=["resnet18"], help="torchvision model names (default: resnet18)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--out", default=OUT)
    p.add_argument("--state-dict", help="a local state_dict file (one model name)")
    p.add_argument("--random", action="store_true", help="seeded random weights instead of pretrained ones")
    p.add_argument("--static-batch", action="store_true", help="export batch 1 without dynamic_axes")
    args = p.parse_args()
    if args.state_dict and len(args.names) != 1:
        sys.exit("onnx-export-full: --state-dict needs exactly one model name")
    os.makedirs(args.out, exist_ok=True)
    for name in args.names:
        model, sidecar = build(name, args)
        path = export(name, model, sidecar, args.out, args.opset, args.static_batch)
        size = sidecar["crop"]
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB, input [N,3,{size},{size}], sidecar {path}.json")


if __name__ == "__main__":
    main()
