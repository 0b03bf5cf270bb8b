"""Writes the ONNX models the benchmarks' onnxruntime-web baselines run (bench/baselines.ts), with
seeded random weights:

  bench/.models/resnet18.onnx          torchvision ResNet-18 (torch.onnx, opset 13)
  bench/.models/resnet18.safetensors   the same weights (float32, PyTorch state-dict keys) for camlab
  bench/.models/resnet18.io.json       a seeded input and its PyTorch logits (every runtime must agree)
  bench/.models/matmul-512.onnx        Y = A·B, A and B inputs [512, 512]
  bench/.models/conv-64x56.onnx        Y = conv(X, W), X input [1,64,56,56], W [64,64,3,3] pad 1

Run with /usr/bin/python3 (torch 1.13, torchvision 0.14):  python3 scripts/make-bench-models.py
The folder is git-ignored; the benchmark runs this script when the files are missing.
Batch-norm running statistics are random too (seeded), so the layers are not identities.
"""
import json
import os
import struct

import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench', '.models')


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
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    model.eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    torch.onnx.export(model, x, os.path.join(OUT, 'resnet18.onnx'), opset_version=13,
                      input_names=['input'], output_names=['logits'], do_constant_folding=True)
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
