import { describe, expect, it } from 'vitest';
import { probeLayers } from '../../src/cam/split.js';
import { buildModule, LAYER_KINDS, LAYER_TYPES, type LayerKindName, type LayerSpec } from '../../src/nn/layer-kinds.js';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d, Pool2d, ReLU, Sequential } from '../../src/nn/layers.js';
import { Module } from '../../src/nn/module.js';
import { zeros } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../support/check.js';

describe('the layer-kind table', () => {
  it('every row builds from its example into a module of that kind, described by its kind', () => {
    const names = Object.keys(LAYER_KINDS) as LayerKindName[];
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const m = buildModule({ type: name, ...LAYER_KINDS[name].example } as LayerSpec);
      expect(m.kind, name).toBe(name);
      expect(m.describe().startsWith(name), `${name}: ${m.describe()}`).toBe(true);
    }
    expect(buildModule({ type: 'Sequential', layers: [{ type: 'ReLU' }] }).kind).toBe('Sequential');
  });

  it('the known types in errors are the table\'s, in its order, after the container', () => {
    expect(LAYER_TYPES).toEqual(['Sequential', ...Object.keys(LAYER_KINDS)]);
    expect(errorOf(() => buildModule({ type: 'Conv3d' } as unknown as LayerSpec))).toBe(`model spec: architecture.type "Conv3d" is not a known layer; known: ${LAYER_TYPES.join(', ')}`);
    expect(errorOf(() => buildModule({ type: 'toString' } as unknown as LayerSpec))).toContain('"toString" is not a known layer');
  });

  it('the three pooling kinds are one class: named constructors, kind, options and description', () => {
    const x = zeros([1, 2, 6, 6]);
    const pools = [new MaxPool2d({ kernelSize: 2 }), new AvgPool2d({ kernelSize: 3, stride: 3 }), new AdaptiveAvgPool2d([2, 1])];
    expect(pools.map((p) => p.kind)).toEqual(['MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d']);
    expect(pools.map((p) => p instanceof Pool2d)).toEqual([true, true, true]);
    expect(pools.map((p) => p.call(x).shape)).toEqual([[1, 2, 3, 3], [1, 2, 2, 2], [1, 2, 2, 1]]);
    expect(pools[2]!.options).toEqual([2, 1]);
    expect(new AdaptiveAvgPool2d(1) instanceof MaxPool2d).toBe(false);
    const built = buildModule({ type: 'AvgPool2d', kernel: 2 });
    expect(built).toBeInstanceOf(AvgPool2d);
    expect(built.describe()).toBe('AvgPool2d(kernel=2, stride=2)');
  });

  it('layer listings report the kind, not the class name a minifier renames', () => {
    class Custom extends Module {
      readonly kind = 'onnx:Relu';
      forward(t: Tensor): Tensor {
        return t;
      }
    }
    Object.defineProperty(Custom, 'name', { value: 'qe' });
    Object.defineProperty(Conv2d, 'name', { value: 'Xe', configurable: true });
    try {
      const model = new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new Custom(), new ReLU());
      const layers = probeLayers(model, zeros([1, 1, 4, 4]));
      expect(layers.map((l) => l.type)).toEqual(['Conv2d', 'onnx:Relu', 'ReLU']);
      expect(model.get('1').describe()).toBe('onnx:Relu');
    } finally {
      Object.defineProperty(Conv2d, 'name', { value: 'Conv2d' });
    }
  });
});
