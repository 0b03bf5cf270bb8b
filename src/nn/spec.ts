import { CamlabError, fail } from '../tensor/errors.js';
import { isDType, type DType } from '../tensor/dtype.js';
import type { Rng } from '../tensor/rng.js';
import {
  AdaptiveAvgPool2d, AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Dropout, Flatten, GELU, GlobalAvgPool,
  Identity, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh, type LayerInit,
} from './layers.js';
import type { Module } from './module.js';

type Pair = number | [number, number];

/** One layer of a model spec (JSON). Sequential nodes nest: `layers` (named '0', '1', …) or named `children`. */
export type LayerSpec =
  | { type: 'Sequential'; layers?: LayerSpec[]; children?: Record<string, LayerSpec> }
  | { type: 'Conv2d'; in: number; out: number; kernel: Pair; stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean }
  | { type: 'Linear'; in: number; out: number; bias?: boolean }
  | { type: 'ReLU' | 'Sigmoid' | 'Tanh' | 'GELU' | 'Identity' | 'GlobalAvgPool' }
  | { type: 'Softmax'; dim?: number }
  | { type: 'MaxPool2d' | 'AvgPool2d'; kernel: Pair; stride?: Pair; padding?: Pair; ceilMode?: boolean }
  | { type: 'AdaptiveAvgPool2d'; size: Pair }
  | { type: 'Flatten'; start?: number; end?: number }
  | { type: 'BatchNorm2d'; features: number; eps?: number; momentum?: number }
  | { type: 'Dropout'; p?: number }
  | { type: 'BasicBlock'; in: number; out: number; stride?: number };

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

const LAYER_TYPES = [
  'Sequential', 'Conv2d', 'Linear', 'ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Identity', 'GlobalAvgPool', 'Softmax',
  'MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'BatchNorm2d', 'Dropout', 'BasicBlock',
] as const;

/** Builds the module tree a layer spec describes (fresh, seeded initialization). */
export function buildModule(spec: LayerSpec, init: LayerInit = {}, path = 'architecture'): Module {
  const s = spec as Record<string, unknown> & { type?: unknown };
  if (typeof s !== 'object' || s === null) fail('model spec', `${path} must be an object`);
  const num = (key: string, def?: number): number => {
    const v = s[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail('model spec', `${path}.${key} must be a number, got ${JSON.stringify(s[key])}`);
    return v;
  };
  const int = (key: string, def?: number): number => {
    const v = num(key, def);
    if (!Number.isInteger(v) || v < 0) fail('model spec', `${path}.${key} must be a non-negative integer, got ${v}`);
    return v;
  };
  const pos = (key: string): number => {
    const v = num(key);
    if (!Number.isInteger(v) || v < 1) fail('model spec', `${path}.${key} must be a positive integer, got ${v}`);
    return v;
  };
  const dim = (key: string, def: number): number => {
    const v = num(key, def);
    if (!Number.isInteger(v)) fail('model spec', `${path}.${key} must be an integer (a dimension, may be negative), got ${v}`);
    return v;
  };
  const pairOf = (key: string, def?: Pair): Pair => {
    const v = s[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0] as number, v[1] as number];
    return fail('model spec', `${path}.${key} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  };
  const bool = (key: string, def: boolean): boolean => {
    const v = s[key] ?? def;
    if (typeof v !== 'boolean') fail('model spec', `${path}.${key} must be true or false`);
    return v;
  };
  const bnOpts = (): { dtype?: DType } => (init.dtype === undefined ? {} : { dtype: init.dtype });
  if (s.type === 'Sequential') return buildSequential(s, init, path);
  // A layer constructor's own error (e.g. Conv2d groups not dividing the channels) gets the path
  // of the layer in the spec, so the faulty entry of a large architecture can be found.
  try {
    return buildLayer();
  } catch (e) {
    if (e instanceof CamlabError && e.op !== 'model spec') fail('model spec', `${path} (${String(s.type)}): ${e.message}`);
    throw e;
  }

  function buildLayer(): Module {
    switch (s.type) {
      case 'Conv2d': {
        const o: ConstructorParameters<typeof Conv2d>[3] = { ...init, stride: pairOf('stride', 1), padding: pairOf('padding', 0), dilation: pairOf('dilation', 1), groups: int('groups', 1), bias: bool('bias', true) };
        return new Conv2d(pos('in'), pos('out'), pairOf('kernel'), o);
      }
      case 'Linear':
        return new Linear(pos('in'), pos('out'), { ...init, bias: bool('bias', true) });
      case 'ReLU':
        return new ReLU();
      case 'Sigmoid':
        return new Sigmoid();
      case 'Tanh':
        return new Tanh();
      case 'GELU':
        return new GELU();
      case 'Identity':
        return new Identity();
      case 'GlobalAvgPool':
        return new GlobalAvgPool();
      case 'Softmax':
        return new Softmax(dim('dim', -1));
      case 'MaxPool2d':
      case 'AvgPool2d': {
        const o = { kernelSize: pairOf('kernel'), stride: pairOf('stride', pairOf('kernel')), padding: pairOf('padding', 0), ceilMode: bool('ceilMode', false) };
        return s.type === 'MaxPool2d' ? new MaxPool2d(o) : new AvgPool2d(o);
      }
      case 'AdaptiveAvgPool2d':
        return new AdaptiveAvgPool2d(pairOf('size'));
      case 'Flatten':
        return new Flatten(dim('start', 1), dim('end', -1));
      case 'BatchNorm2d':
        return new BatchNorm2d(pos('features'), { eps: num('eps', 1e-5), momentum: num('momentum', 0.1), ...bnOpts() });
      case 'Dropout':
        return new Dropout(num('p', 0.5), init.rng === undefined ? {} : { rng: init.rng });
      case 'BasicBlock':
        return new BasicBlock(pos('in'), pos('out'), { ...init, stride: int('stride', 1) });
      default:
        return fail('model spec', `${path}.type ${JSON.stringify(s.type)} is not a known layer; known: ${LAYER_TYPES.join(', ')}`);
    }
  }
}

function buildSequential(s: Record<string, unknown>, init: LayerInit, path: string): Module {
  if (Array.isArray(s.layers)) return new Sequential(...s.layers.map((l, i) => buildModule(l as LayerSpec, init, `${path}.layers[${i}]`)));
  if (typeof s.children === 'object' && s.children !== null && !Array.isArray(s.children)) {
    const entries = Object.entries(s.children as Record<string, LayerSpec>);
    for (const [n] of entries) {
      if (n === '' || n.includes('.')) fail('model spec', `${path}.children has an invalid layer name ${JSON.stringify(n)} (non-empty, no dots: it becomes part of the state-dict keys)`);
    }
    return Sequential.named(entries.map(([n, l]) => [n, buildModule(l, init, `${path}.children.${n}`)] as const));
  }
  return fail('model spec', `${path} (Sequential) needs a 'layers' array or a 'children' object`);
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
