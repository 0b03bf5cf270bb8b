import { fail } from '../tensor/errors.js';
import { isDType, type DType } from '../tensor/dtype.js';
import type { Rng } from '../tensor/rng.js';
import { buildModule, type LayerSpec } from './layer-kinds.js';
import type { LayerInit } from './layers.js';
import type { Module } from './module.js';

export { buildModule, LAYER_KINDS, LAYER_TYPES, type LayerKind, type LayerKindName, type LayerSpec, type SequentialSpec } from './layer-kinds.js';

/** How a picture becomes the model's input: size, channels, and normalization (x − mean)/std of [0,1] pixels. */
export interface InputSpec {
  channels: number;
  height: number;
  width: number;
  mean?: number[];
  std?: number[];
}

/** A model spec: names the architecture so weights (safetensors, PyTorch state-dict keys) can be loaded into it. */
export interface ModelSpec {
  format: 'camlab-model';
  version: 1;
  name: string;
  description?: string;
  input: InputSpec;
  classes: string[];
  dtype?: DType;
  architecture: LayerSpec;
}

/** Checks a parsed JSON value is a model spec, with errors naming the field at fault. */
export function parseModelSpec(json: unknown): ModelSpec {
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail('model spec', 'must be a JSON object');
  if (o.format !== 'camlab-model') fail('model spec', `'format' must be "camlab-model", got ${JSON.stringify(o.format)}`);
  if (o.version !== 1) fail('model spec', `'version' must be 1, got ${JSON.stringify(o.version)}`);
  if (typeof o.name !== 'string' || o.name === '') fail('model spec', "'name' must be a non-empty string");
  const input = o.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null) fail('model spec', "'input' must be an object {channels, height, width, mean?, std?}");
  for (const k of ['channels', 'height', 'width']) {
    const v = input[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail('model spec', `input.${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  for (const k of ['mean', 'std']) {
    const v = input[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== input.channels || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail('model spec', `input.${k} must be an array of ${String(input.channels)} numbers`);
    }
    if (k === 'std' && v.some((x) => !(x > 0))) fail('model spec', 'input.std values must be > 0');
  }
  if (!Array.isArray(o.classes) || o.classes.length < 1 || !o.classes.every((c) => typeof c === 'string')) {
    fail('model spec', "'classes' must be a non-empty array of class names");
  }
  if (o.dtype !== undefined && !isDType(o.dtype)) fail('model spec', `'dtype' must be "float64" or "float32", got ${JSON.stringify(o.dtype)}`);
  if (typeof o.architecture !== 'object' || o.architecture === null || Array.isArray(o.architecture)) fail('model spec', "'architecture' must be a layer object");
  return o as unknown as ModelSpec;
}

/** Builds a fresh (randomly initialized, seeded) module for a spec. */
export function buildModel(spec: ModelSpec, rng?: Rng): Module {
  const init: LayerInit = {};
  if (rng !== undefined) init.rng = rng;
  if (spec.dtype !== undefined) init.dtype = spec.dtype;
  return buildModule(spec.architecture, init);
}

/** A torchvision-shaped ResNet-18 (state-dict keys as torchvision: conv1, bn1, layer1.0.conv1, …, fc). */
export function resnet18Architecture(numClasses = 1000, inChannels = 3): LayerSpec {
  const stage = (cin: number, cout: number, stride: number): LayerSpec => ({
    type: 'Sequential',
    layers: [{ type: 'BasicBlock', in: cin, out: cout, stride }, { type: 'BasicBlock', in: cout, out: cout }],
  });
  return {
    type: 'Sequential',
    children: {
      conv1: { type: 'Conv2d', in: inChannels, out: 64, kernel: 7, stride: 2, padding: 3, bias: false },
      bn1: { type: 'BatchNorm2d', features: 64 },
      relu: { type: 'ReLU' },
      maxpool: { type: 'MaxPool2d', kernel: 3, stride: 2, padding: 1 },
      layer1: stage(64, 64, 1),
      layer2: stage(64, 128, 2),
      layer3: stage(128, 256, 2),
      layer4: stage(256, 512, 2),
      avgpool: { type: 'AdaptiveAvgPool2d', size: 1 },
      flatten: { type: 'Flatten' },
      fc: { type: 'Linear', in: 512, out: numClasses },
    },
  };
}
