import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../../../src/io/safetensors.js';
import { loadOnnx, type LoadOnnxOptions, type OnnxModel } from '../../../src/onnx/index.js';
import type { Tensor } from '../../../src/tensor/tensor.js';

/** Written by scripts/onnx-fixtures.py (reduced torchvision architectures, PyTorch references). */
export const DIR = new URL('../../fixtures/onnx/', import.meta.url);

export const ARCHS = [
  'resnet18', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121', 'squeezenet1_1',
  'regnet_y_400mf', 'convnext_tiny', 'vit',
] as const;
export type Arch = (typeof ARCHS)[number];

export function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, DIR)));
}

export function loadFixture(file: string, options: LoadOnnxOptions = {}): OnnxModel {
  return loadOnnx(fixtureBytes(file), options);
}

/** PyTorch's numbers for one architecture: input, logits, and A, dS/dA, CAM weights at the layer. */
export interface Reference {
  layer: string;
  cls: number;
  tensors: Map<string, Tensor>;
  get(name: string): Tensor;
}

export function reference(name: string): Reference {
  const f = parseSafetensors(fixtureBytes(`${name}.ref.safetensors`));
  return {
    layer: f.metadata.layer ?? '',
    cls: Number(f.metadata.class),
    tensors: f.tensors,
    get(n: string): Tensor {
      const t = f.tensors.get(n);
      if (t === undefined) throw new Error(`no reference tensor '${n}' in ${name}`);
      return t;
    },
  };
}

/** Largest |a − b| relative to the largest |b| (one scale for the whole tensor). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return scale === 0 ? worst : worst / scale;
}
