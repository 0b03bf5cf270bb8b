"""Exports camlab's bundled models (models/<name>/spec.json + model.safetensors) to ONNX, as a
PyTorch user would export their own classifier: the spec's module tree rebuilt in torch with the
same names, the trained weights loaded, torch.onnx.export.

    /usr/bin/python3 scripts/onnx-bundled.py            # shapes-cnn and mnist-cnn

Writes test/fixtures/onnx/<name>.onnx (opset 17, float32, dynamic batch) and its sidecar
<name>.onnx.json: the spec's mean, std and class names, and "size": [H, W] (the picture is
resized to the model's input, as camlab resizes pictures for spec models; no crop). The CLI, web
and evaluation tests use them to check that an ONNX model gives the numbers its spec twin gives.
CI does not run this; the files are committed (65 KB and 240 KB).
"""
import importlib.util
import json
import os

import torch
import torch.nn as nn

# save_safetensors' reading twin lives with the other ONNX fixtures.
_spec = importlib.util.spec_from_file_location("onnx_fixtures", "scripts/onnx-fixtures.py")
onnx_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(onnx_fixtures)

OUT = "test/fixtures/onnx"


class GlobalAvgPool(nn.Module):
    """camlab's GlobalAvgPool: the mean over H and W, [N, C, H, W] -> [N, C]."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


def layer(spec):
    """The torch module of one spec layer (the kinds the bundled models use)."""
    t = spec["type"]
    if t == "Sequential":
        if "layers" in spec:
            return nn.Sequential(*[layer(s) for s in spec["layers"]])
        seq = nn.Sequential()
        for name, s in spec["children"].items():
            seq.add_module(name, layer(s))
        return seq
    if t == "Conv2d":
        return nn.Conv2d(spec["in"], spec["out"], spec["kernel"], stride=spec.get("stride", 1), padding=spec.get("padding", 0), bias=spec.get("bias", True))
    if t == "BatchNorm2d":
        return nn.BatchNorm2d(spec["features"])
    if t == "ReLU":
        return nn.ReLU()
    if t == "MaxPool2d":
        return nn.MaxPool2d(spec["kernel"], stride=spec.get("stride"))
    if t == "GlobalAvgPool":
        return GlobalAvgPool()
    if t == "Linear":
        return nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    raise SystemExit(f"onnx-bundled: layer type {t} is not handled here")


def export(name):
    spec = json.load(open(f"models/{name}/spec.json"))
    model = layer(spec["architecture"]).eval()
    state, _ = onnx_fixtures.read_safetensors(f"models/{name}/model.safetensors")
    missing, unexpected = model.load_state_dict(state, strict=False)
    # camlab's state dicts have no num_batches_tracked (unused in eval mode).
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    inp = spec["input"]
    x = torch.rand(1, inp["channels"], inp["height"], inp["width"])
    path = f"{OUT}/{name}.onnx"
    torch.onnx.export(model, x, path, opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    sidecar = {"size": [inp["height"], inp["width"]], "crop": None, "mean": inp["mean"], "std": inp["std"],
               "channels": inp["channels"], "labels": spec["classes"]}
    with open(f"{path}.json", "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes, input [N,{inp['channels']},{inp['height']},{inp['width']}], sidecar {path}.json")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in ("shapes-cnn", "mnist-cnn"):
        export(name)


if __name__ == "__main__":
    main()
