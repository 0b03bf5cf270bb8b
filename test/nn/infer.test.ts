import { describe, expect, it } from 'vitest';
import { requiresGrad } from '../../src/autodiff/node.js';
import { infer, withEval } from '../../src/nn/infer.js';
import { BatchNorm2d, Dropout, Flatten, Linear, Sequential } from '../../src/nn/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/create.js';

function net(): Sequential {
  return new Sequential(new BatchNorm2d(2), new Flatten(), new Dropout(0.5, { rng: new Rng(1) }), new Linear(8, 3, { rng: new Rng(2) }));
}

describe('infer', () => {
  it('runs in eval mode without a graph and restores every module\'s own mode', () => {
    const m = net();
    m.get('2').training = false; // mixed modes must come back as they were
    const x = requiresGrad(randn([4, 2, 2, 2], { rng: 3 }));
    const y = infer(m, x);
    expect(y.shape).toEqual([4, 3]);
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(m.namedModules().map(([, k]) => k.training)).toEqual([true, true, true, false, true]);
    // Eval mode: no dropout and running statistics, so two calls agree and equal the eval-mode forward.
    expect(Array.from(infer(m, x).data)).toEqual(Array.from(y.data));
    const ref = withEval(m, () => m.call(x));
    expect(ref.requiresGrad).toBe(true);
    expect(Array.from(ref.data)).toEqual(Array.from(y.data));
  });

  it('restores the modes when the forward pass throws', () => {
    const m = net();
    expect(() => infer(m, randn([1, 3, 2, 2], { rng: 1 }))).toThrow(/BatchNorm2d: expects \[N,2,H,W\]/);
    expect(m.namedModules().every(([, k]) => k.training)).toBe(true);
  });
});
