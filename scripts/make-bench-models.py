"""Writes the models the benchmarks run (bench/baselines.ts, bench/models.ts), with seeded random
weights:

  bench/.models/resnet18.onnx          torchvision ResNet-18 exactly as `scripts/onnx-export-full.py
                                       resnet18 --random` writes it (its `build` and `export`: opset 17,
                                       input `input` [N,3,224,224] with a dynamic batch, output `logits`)
  bench/.models/resnet18.onnx.json     its sidecar
  bench/.models/resnet18.safetensors   the same weights (float32, PyTorch state-dict keys) for camlab's spec
  bench/.models/resnet18.io.json       a seeded input and its PyTorch logits (every runtime must agree)
  bench/.models/matmul-512.onnx        Y = A·B, A and B inputs [512, 512]
  bench/.models/conv-64x56.onnx        Y = conv(X, W), X input [1,64,56,56], W [64,64,3,3] pad 1

camlab runs resnet18.onnx through loadOnnx and resnet18.safetensors through its resnet18 spec;
onnxruntime-web runs resnet18.onnx. Run with /usr/bin/python3 (torch 1.13, torchvision 0.14):
    python3 scripts/make-bench-models.py
The folder is git-ignored; the benchmark runs this script when the files are missing.
"""
import argparse
import importlib.util
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'bench', '.models')


def onnx_export_full():
    """scripts/onnx-export-full.py as a module (its file name is not an identifier)."""
    spec = importlib.util.spec_from_file_location('onnx_export_full', os.path.join(HERE, 'onnx-export-full.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_safetensors(tensors, path):
    """The safetensors format: u64 header length, a JSON header, then the raw little-endian data."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    full = onnx_export_full()
    model, sidecar = full.build('resnet18', argparse.Namespace(random=True, state_dict=None))
    full.export('resnet18', model, sidecar, OUT)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    save_safetensors(model.state_dict(), os.path.join(OUT, 'resnet18.safetensors'))
    with torch.no_grad():
        logits = model(x)
    with open(os.path.join(OUT, 'resnet18.io.json'), 'w') as f:
        json.dump({'seed': 1, 'input': x.flatten().tolist(), 'logits': logits.flatten().tolist()}, f)

    class MatMul(torch.nn.Module):
        def forward(self, a, b):
            return a @ b

    a = torch.randn(512, 512)
    torch.onnx.export(MatMul(), (a, a), os.path.join(OUT, 'matmul-512.onnx'), opset_version=13,
                      input_names=['a', 'b'], output_names=['y'])
    conv = torch.nn.Conv2d(64, 64, 3, padding=1, bias=False).eval()
    torch.onnx.export(conv, torch.randn(1, 64, 56, 56), os.path.join(OUT, 'conv-64x56.onnx'), opset_version=13,
                      input_names=['x'], output_names=['y'])
    print('wrote', OUT)


if __name__ == '__main__':
    main()
