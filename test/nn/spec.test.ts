import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import {
  AdaptiveAvgPool2d, AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Dropout, Flatten, GELU, GlobalAvgPool, Identity,
  Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { buildModel, buildModule, parseModelSpec, resnet18Architecture, type LayerSpec, type ModelSpec } from '../../src/nn/spec.js';
import { ARCHITECTURES } from '../../src/nn/zoo.js';
import { randn, zeros } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { errorOf } from '../support/check.js';


const build = (spec: unknown, path?: string): Module => buildModule(spec as LayerSpec, {}, path);

describe('buildModule: every layer type', () => {
  const cases: Array<[LayerSpec, new (...a: never[]) => Module, string]> = [
    [{ type: 'Conv2d', in: 3, out: 8, kernel: 3, padding: 1 }, Conv2d, 'Conv2d(3, 8, kernel=3, padding=1)'],
    [{ type: 'Conv2d', in: 4, out: 4, kernel: [3, 1], stride: [2, 1], dilation: 2, groups: 2, bias: false }, Conv2d, 'Conv2d(4, 4, kernel=(3, 1), stride=(2, 1), dilation=2, groups=2, bias=false)'],
    [{ type: 'Linear', in: 5, out: 2 }, Linear, 'Linear(5, 2)'],
    [{ type: 'Linear', in: 5, out: 2, bias: false }, Linear, 'Linear(5, 2, bias=false)'],
    [{ type: 'ReLU' }, ReLU, 'ReLU'],
    [{ type: 'Sigmoid' }, Sigmoid, 'Sigmoid'],
    [{ type: 'Tanh' }, Tanh, 'Tanh'],
    [{ type: 'GELU' }, GELU, 'GELU'],
    [{ type: 'Identity' }, Identity, 'Identity'],
    [{ type: 'GlobalAvgPool' }, GlobalAvgPool, 'GlobalAvgPool'],
    [{ type: 'Softmax' }, Softmax, 'Softmax(dim=-1)'],
    [{ type: 'Softmax', dim: 1 }, Softmax, 'Softmax(dim=1)'],
    [{ type: 'MaxPool2d', kernel: 2 }, MaxPool2d, 'MaxPool2d(kernel=2, stride=2)'],
    [{ type: 'MaxPool2d', kernel: 3, stride: 2, padding: 1 }, MaxPool2d, 'MaxPool2d(kernel=3, stride=2, padding=1)'],
    [{ type: 'AvgPool2d', kernel: [2, 3], ceilMode: true }, AvgPool2d, 'AvgPool2d(kernel=(2, 3), stride=(2, 3))'],
    [{ type: 'AdaptiveAvgPool2d', size: [2, 3] }, AdaptiveAvgPool2d, 'AdaptiveAvgPool2d((2, 3))'],
    [{ type: 'Flatten' }, Flatten, 'Flatten'],
    [{ type: 'BatchNorm2d', features: 6, eps: 1e-3, momentum: 0.2 }, BatchNorm2d, 'BatchNorm2d(6)'],
    [{ type: 'Dropout', p: 0.2 }, Dropout, 'Dropout(p=0.2)'],
    [{ type: 'Dropout' }, Dropout, 'Dropout(p=0.5)'],
    [{ type: 'BasicBlock', in: 4, out: 8, stride: 2 }, BasicBlock, 'BasicBlock'],
    [{ type: 'Sequential', layers: [{ type: 'ReLU' }] }, Sequential, 'Sequential'],
  ];
  it.each(cases.map(([s, cls, d]) => [JSON.stringify(s), s, cls, d] as const))('%s', (_, s, cls, d) => {
    const m = buildModule(s);
    expect(m).toBeInstanceOf(cls);
    expect(m.describe()).toBe(d);
  });

  it('options reach the layers', () => {
    const bn = build({ type: 'BatchNorm2d', features: 6, eps: 1e-3, momentum: 0.2 }) as BatchNorm2d;
    expect([bn.eps, bn.momentum]).toEqual([1e-3, 0.2]);
    const pool = build({ type: 'AvgPool2d', kernel: 2, ceilMode: true }) as AvgPool2d;
    expect(pool.call(zeros([1, 1, 5, 5])).shape).toEqual([1, 1, 3, 3]);
    const fl = build({ type: 'Flatten', start: 0, end: 1 }) as Flatten;
    expect(fl.call(zeros([2, 3, 4])).shape).toEqual([6, 4]);
    expect((build({ type: 'BasicBlock', in: 4, out: 4 }) as BasicBlock).downsample).toBeNull();
  });

  it('Sequential: layers are named 0, 1, …; children keep their names (and order)', () => {
    const m = build({
      type: 'Sequential',
      children: {
        features: { type: 'Sequential', layers: [{ type: 'Conv2d', in: 1, out: 2, kernel: 3 }, { type: 'ReLU' }] },
        head: { type: 'Linear', in: 2, out: 3 },
      },
    });
    expect(m.namedModules().map(([n]) => n)).toEqual(['', 'features', 'features.0', 'features.1', 'head']);
    expect([...m.stateDict().keys()]).toEqual(['features.0.weight', 'features.0.bias', 'head.weight', 'head.bias']);
  });

  it('a seeded generator gives reproducible weights; dtype reaches every tensor', () => {
    const spec: LayerSpec = { type: 'Sequential', layers: [{ type: 'Conv2d', in: 1, out: 2, kernel: 3 }, { type: 'BatchNorm2d', features: 2 }, { type: 'Linear', in: 2, out: 2 }] };
    const a = buildModule(spec, { rng: new Rng(3) });
    const b = buildModule(spec, { rng: new Rng(3) });
    for (const [k, t] of a.stateDict()) expect(Array.from(t.data)).toEqual(Array.from(b.stateDict().get(k)!.data));
    const f = buildModule(spec, { dtype: 'float32' });
    for (const [, t] of f.stateDict()) expect(t.dtype).toBe('float32');
  });
});

describe('buildModule errors name the field at fault', () => {
  it('unknown type lists the known ones', () => {
    const msg = errorOf(() => build({ type: 'Conv3d' }));
    expect(msg).toContain('model spec: architecture.type "Conv3d" is not a known layer; known: Sequential, Conv2d, Linear');
    for (const t of ['ReLU', 'Sigmoid', 'Tanh', 'GELU', 'Identity', 'GlobalAvgPool', 'Softmax', 'MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'BatchNorm2d', 'Dropout', 'BasicBlock']) {
      expect(msg).toContain(t);
    }
    expect(errorOf(() => build({}))).toContain('architecture.type undefined is not a known layer');
  });

  it("missing 'in', with the full path inside nested Sequentials", () => {
    expect(errorOf(() => build({ type: 'Linear', out: 3 }))).toBe('model spec: architecture.in must be a number, got undefined');
    const nested = { type: 'Sequential', children: { features: { type: 'Sequential', layers: [{ type: 'ReLU' }, { type: 'Conv2d', out: 2, kernel: 3 }] } } };
    expect(errorOf(() => build(nested))).toBe('model spec: architecture.children.features.layers[1].in must be a number, got undefined');
  });

  it('wrong types and values', () => {
    expect(errorOf(() => build({ type: 'Linear', in: '4', out: 3 }))).toBe('model spec: architecture.in must be a number, got "4"');
    expect(errorOf(() => build({ type: 'Linear', in: 0, out: 3 }))).toBe('model spec: architecture.in must be a positive integer, got 0');
    expect(errorOf(() => build({ type: 'Linear', in: 2, out: 3, bias: 'no' }))).toBe('model spec: architecture.bias must be true or false');
    expect(errorOf(() => build({ type: 'Conv2d', in: 1, out: 2 }))).toBe('model spec: architecture.kernel must be an integer or a pair of integers, got undefined');
    expect(errorOf(() => build({ type: 'MaxPool2d', kernel: [2] }))).toContain('architecture.kernel must be an integer or a pair of integers, got [2]');
    expect(errorOf(() => build({ type: 'Conv2d', in: 1, out: 2, kernel: 3, groups: -1 }))).toContain('architecture.groups must be a non-negative integer, got -1');
    expect(errorOf(() => build({ type: 'BatchNorm2d', features: 0 }))).toBe('model spec: architecture.features must be a positive integer, got 0');
    expect(errorOf(() => build({ type: 'Softmax', dim: 1.5 }))).toContain('architecture.dim must be an integer');
    expect(errorOf(() => build({ type: 'Flatten', start: 'a' }))).toContain('architecture.start must be a number, got "a"');
    expect(errorOf(() => build({ type: 'AdaptiveAvgPool2d' }))).toContain('architecture.size must be an integer or a pair');
    expect(errorOf(() => build(null))).toBe('model spec: architecture must be an object');
    expect(errorOf(() => build('ReLU'))).toBe('model spec: architecture must be an object');
    expect(errorOf(() => build({ type: 'Sequential' }))).toBe("model spec: architecture (Sequential) needs a 'layers' array or a 'children' object");
    expect(errorOf(() => build({ type: 'Sequential', children: { 'a.b': { type: 'ReLU' } } }))).toContain('architecture.children has an invalid layer name "a.b"');
  });

  it("a layer constructor's own error carries the layer's path", () => {
    const spec = { type: 'Sequential', children: { features: { type: 'Sequential', layers: [{ type: 'Conv2d', in: 3, out: 4, kernel: 3, groups: 2 }] } } };
    expect(errorOf(() => build(spec))).toBe('model spec: architecture.children.features.layers[0] (Conv2d): Conv2d: groups=2 must divide in=3 and out=4');
    expect(errorOf(() => build({ type: 'Dropout', p: 1 }))).toBe('model spec: architecture (Dropout): Dropout: probability must be in [0, 1), got 1');
    expect(errorOf(() => build({ type: 'BatchNorm2d', features: 2, momentum: 3 }))).toContain('architecture (BatchNorm2d): BatchNorm2d: momentum');
  });
});

const validSpec = (): Record<string, unknown> => ({
  format: 'camlab-model',
  version: 1,
  name: 'tiny',
  input: { channels: 3, height: 8, width: 8, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  classes: ['a', 'b'],
  architecture: { type: 'Sequential', layers: [{ type: 'GlobalAvgPool' }, { type: 'Linear', in: 3, out: 2 }] },
});

describe('parseModelSpec', () => {
  it('accepts a valid spec (and returns it)', () => {
    const s = validSpec();
    expect(parseModelSpec(s)).toBe(s);
    expect(parseModelSpec({ ...s, dtype: 'float32', description: 'x' }).dtype).toBe('float32');
    const { input } = s as { input: Record<string, unknown> };
    delete input.mean;
    delete input.std;
    expect(() => parseModelSpec(s)).not.toThrow();
  });

  const bad: Array<[string, (s: Record<string, unknown>) => unknown, string | RegExp]> = [
    ['not an object', () => null, 'model spec: must be a JSON object'],
    ['format', (s) => ({ ...s, format: 'onnx' }), `model spec: 'format' must be "camlab-model", got "onnx"`],
    ['version', (s) => ({ ...s, version: 2 }), "model spec: 'version' must be 1, got 2"],
    ['name', (s) => ({ ...s, name: '' }), "'name' must be a non-empty string"],
    ['input missing', (s) => ({ ...s, input: undefined }), "'input' must be an object"],
    ['input.channels', (s) => ({ ...s, input: { channels: 0, height: 8, width: 8 } }), 'input.channels must be a positive integer, got 0'],
    ['input.width', (s) => ({ ...s, input: { channels: 1, height: 8, width: 2.5 } }), 'input.width must be a positive integer, got 2.5'],
    ['input.height', (s) => ({ ...s, input: { channels: 1, width: 8 } }), 'input.height must be a positive integer, got undefined'],
    ['input.mean length', (s) => ({ ...s, input: { channels: 3, height: 8, width: 8, mean: [0.5] } }), 'input.mean must be an array of 3 numbers'],
    ['input.mean infinite', (s) => ({ ...s, input: { channels: 1, height: 8, width: 8, mean: [Infinity] } }), 'input.mean must be an array of 1 numbers'],
    ['input.std zero', (s) => ({ ...s, input: { channels: 1, height: 8, width: 8, std: [0] } }), 'input.std values must be > 0'],
    ['classes empty', (s) => ({ ...s, classes: [] }), "'classes' must be a non-empty array of class names"],
    ['classes numbers', (s) => ({ ...s, classes: [1, 2] }), "'classes' must be a non-empty array"],
    ['dtype', (s) => ({ ...s, dtype: 'int8' }), `'dtype' must be "float64" or "float32", got "int8"`],
    ['architecture', (s) => ({ ...s, architecture: 5 }), "'architecture' must be a layer object"],
    ['architecture array', (s) => ({ ...s, architecture: [] }), "'architecture' must be a layer object"],
  ];
  it.each(bad)('%s', (_, mutate, msg) => {
    const m = errorOf(() => parseModelSpec(mutate(validSpec())));
    if (typeof msg === 'string') expect(m).toContain(msg);
    else expect(m).toMatch(msg);
  });

  it('buildModel builds the architecture with the spec dtype', () => {
    const m = buildModel(parseModelSpec({ ...validSpec(), dtype: 'float32' }), new Rng(1));
    expect(m.parameters().every((t) => t.dtype === 'float32')).toBe(true);
    expect(m.call(randn([1, 3, 8, 8], { rng: 1 })).shape).toEqual([1, 2]);
  });
});

/** torchvision resnet18's state-dict keys, written out from its definition (not from camlab). */
function torchvisionResnet18Keys(): string[] {
  const bn = (p: string): string[] => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((s) => `${p}.${s}`);
  const keys = ['conv1.weight', ...bn('bn1')];
  for (let layer = 1; layer <= 4; layer++) {
    for (let block = 0; block < 2; block++) {
      const p = `layer${layer}.${block}`;
      keys.push(`${p}.conv1.weight`, ...bn(`${p}.bn1`), `${p}.conv2.weight`, ...bn(`${p}.bn2`));
      if (layer > 1 && block === 0) keys.push(`${p}.downsample.0.weight`, ...bn(`${p}.downsample.1`));
    }
  }
  keys.push('fc.weight', 'fc.bias');
  return keys;
}

describe('resnet18Architecture', () => {
  const net = buildModule(resnet18Architecture(), { rng: new Rng(0) });

  it("state-dict keys are torchvision's resnet18 keys, in order", () => {
    const keys = [...net.stateDict().keys()];
    expect(keys.length).toBe(122);
    expect(keys).toEqual(torchvisionResnet18Keys());
  });

  it('keys and shapes match the list torch printed (test/fixtures/torch/resnet18-keys.json)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/resnet18-keys.json', import.meta.url), 'utf8')) as { keys: Array<[string, number[]]> };
    expect([...net.stateDict()].map(([k, t]) => [k, [...t.shape]])).toEqual(fixture.keys);
    expect(net.parameterCount()).toBe(11_689_512); // torchvision's resnet18 parameter count
  });

  it('gives [1, 1000] logits for a 1x3x32x32 input in eval mode', () => {
    const y = noGrad(() => net.eval().call(randn([1, 3, 32, 32], { rng: 1 })));
    expect(y.shape).toEqual([1, 1000]);
    for (const v of y.data) expect(Number.isFinite(v)).toBe(true);
  });

  it('in training mode a 1x1 layer4 with batch 1 is rejected, as in PyTorch', () => {
    expect(() => noGrad(() => net.train().call(randn([1, 3, 32, 32], { rng: 1 })))).toThrow(/more than 1 value per channel when training, got input \[1,512,1,1\]/);
    net.eval();
  });

  it('numClasses and inChannels', () => {
    const m = buildModule(resnet18Architecture(10, 1));
    expect(m.stateDict().get('conv1.weight')!.shape).toEqual([64, 1, 7, 7]);
    expect(m.stateDict().get('fc.weight')!.shape).toEqual([10, 512]);
  });
});

describe('zoo specs', () => {
  it.each(Object.keys(ARCHITECTURES))('%s parses and builds', (name) => {
    const spec = ARCHITECTURES[name as keyof typeof ARCHITECTURES]() as ModelSpec;
    expect(parseModelSpec(spec)).toBe(spec);
    expect(spec.name).toBe(name);
    if (name === 'resnet18') return; // built above
    const m = buildModel(spec, new Rng(1)).eval();
    const { channels, height, width } = spec.input;
    const y = noGrad(() => m.call(randn([2, channels, height, width], { rng: 2 })));
    expect(y.shape).toEqual([2, spec.classes.length]);
  });
});
