"""Exports the tiny ViT of scripts/vit-fixtures.py (test/fixtures/vit/vit-tiny.safetensors) to ONNX,
so the rollout tests can run the same weights as an imported graph and compare with the PyTorch
rollouts already in vit-tiny.io.safetensors.

Run with Debian's Python (torch, torchvision, onnx; no safetensors package needed), after
scripts/vit-fixtures.py:
    /usr/bin/python3 scripts/vit-onnx-fixtures.py
CI does not run this; the generated files are committed and the tests only read them.

  vit-tiny.onnx       float64, opset 17, batch dimension dynamic: torch.onnx writes each
                      nn.MultiheadAttention's probabilities as a Softmax output [N·heads, 17, 17]
  vit-tiny.b1.onnx    float64, opset 11, exported for batch 1 (the batch baked into its reshapes,
                      so camlab runs a batch one image at a time)
"""
import json
import os
import struct

import torch
from torchvision.models.vision_transformer import VisionTransformer

torch.set_default_dtype(torch.float64)
DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "vit")
DTYPES = {"F64": torch.float64, "F32": torch.float32}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=DTYPES[h["dtype"]]).reshape(h["shape"]).clone()
    return out, meta


weights, meta = load_safetensors(os.path.join(DIR, "vit-tiny.safetensors"))
io, _ = load_safetensors(os.path.join(DIR, "vit-tiny.io.safetensors"))
model = VisionTransformer(**json.loads(meta["config"]))
model.load_state_dict(weights)
model.eval()
x = io["x"]
with torch.no_grad():
    assert (model(x) - io["logits"]).abs().max() < 1e-13, "the loaded model must give the fixture's logits"


def export(path, example, opset, dynamic):
    kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=opset, do_constant_folding=True)
    if dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, example, path, **kwargs)
    print("wrote", path, os.path.getsize(path), "bytes")


export(os.path.join(DIR, "vit-tiny.onnx"), x, 17, True)
export(os.path.join(DIR, "vit-tiny.b1.onnx"), x[:1], 11, False)
