import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import {
  gradcheck, GradcheckError, gradcheckOrder, gradgradcheck, thirdOrderGradcheck,
} from '../../src/autodiff/gradcheck.js';
import { detach, record } from '../../src/autodiff/node.js';
import { add, mul, sub } from '../../src/autodiff/ops/elementwise.js';
import { sum, sumTo } from '../../src/autodiff/ops/reduce.js';
import { exp, sigmoid, square, tanh } from '../../src/autodiff/ops/unary.js';
import { randn, tensor } from '../../src/tensor/create.js';
import { CamlabError } from '../../src/tensor/errors.js';
import * as K from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { anyTensorArb, checkAllOrders, tensorArb, values } from '../support/ad.js';
import { runs } from '../support/check.js';

/** x² with a VJP that is off by a factor: g·3x instead of g·2x. */
function badSquare(x: Tensor): Tensor {
  return record('badSquare', K.square(x), [x], (g) => [mul(g, mul(x, 3))]);
}

/** a·b whose VJP for b is wrong (g·a + g), for a is right. */
function badMul(a: Tensor, b: Tensor): Tensor {
  return record('badMul', K.mul(a, b), [a, b], (g, needs) => [
    needs[0] ? sumTo(mul(g, b), a.shape) : null,
    needs[1] ? sumTo(add(mul(g, a), g), b.shape) : null,
  ]);
}

/**
 * The tfjs#3252 bug class: the VJP multiplies by a detached copy of the output, so the first
 * derivative has the right values but is a constant w.r.t. x (second derivative lost).
 */
function expDetached(x: Tensor): Tensor {
  const out = K.exp(x);
  const saved = detach(out);
  return record('expDetached', out, [x], (g) => [mul(g, saved)]);
}
function sigmoidDetached(x: Tensor): Tensor {
  const out = K.sigmoid(x);
  const saved = detach(out);
  return record('sigmoidDetached', out, [x], (g) => [mul(g, mul(saved, sub(1, saved)))]);
}
function tanhDetached(x: Tensor): Tensor {
  const out = K.tanh(x);
  const saved = K.tanh(x); // a recomputed constant is just as detached
  return record('tanhDetached', out, [x], (g) => [mul(g, sub(1, mul(saved, saved)))]);
}

/** exp whose VJP calls expDetached: right at orders 1 and 2, wrong at order 3. */
function expWrongAtThird(x: Tensor): Tensor {
  return record('expWrongAtThird', K.exp(x), [x], (g) => [mul(g, expDetached(x))]);
}

function caught(fn: () => unknown): GradcheckError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GradcheckError) return e;
    throw e;
  }
  throw new Error('expected a GradcheckError, nothing was thrown');
}

describe('gradcheck passes on correct functions', () => {
  it('reports the order, the mode, the number of comparisons and tiny errors', () => {
    fc.assert(
      fc.property(tensorArb([2, 3]), tensorArb([3]), (a, b) => {
        const f = (x: Tensor, y: Tensor): Tensor => mul(tanh(x), exp(y));
        const [r1, r2, r3] = checkAllOrders(f, [a, b]);
        expect(r1).toMatchObject({ order: 1, mode: 'full', checks: 6 * (6 + 3) });
        // Order 2 checks F(x, y, v) = ∂⟨v, f⟩/∂(x, y): outputs 6 + 3, inputs 6 + 3 + 6.
        expect(r2).toMatchObject({ order: 2, mode: 'full', checks: (6 + 3) * (6 + 3 + 6) });
        // Order 3: inputs x, y, v, w₁, w₂ (6+3+6+6+3 = 24); outputs the gradients w.r.t. x, y, v (15).
        expect(r3).toMatchObject({ order: 3, mode: 'full', checks: 15 * 24 });
        for (const r of [r1!, r2!, r3!]) {
          expect(r.maxAbsError).toBeLessThan(1e-7);
          expect(r.maxRelError).toBeLessThan(1e-5);
        }
      }),
      runs(10),
    );
  });

  it('reports a small relative error where a derivative is exactly 0 (numeric noise is not a 100% error)', () => {
    // σ''(0) = 0 and tanh''(0) = 0: the finite difference gives ~1e-12 against an analytic 0.
    for (const f of [sigmoid, tanh]) {
      const r = gradgradcheck(f, [tensor([0, 0.5, -1])]);
      expect(r.maxAbsError).toBeLessThan(1e-9);
      expect(r.maxRelError).toBeLessThan(1e-5);
    }
  });

  it('handles several outputs, constant outputs and outputs that ignore an input', () => {
    const x = tensor([0.3, -1.2]);
    const y = tensor([2]);
    checkAllOrders((a, b) => [square(a), mul(sum(a), b), tensor([1, 2, 3])], [x, y]);
    checkAllOrders((a) => [exp(a), tensor([5])], [x]);
    checkAllOrders((a, _b) => square(a), [x, y]);
  });

  it('order 4 and beyond with gradcheckOrder (x·eˣ)', () => {
    const x = tensor([0.4, -0.9]);
    for (const order of [1, 2, 3, 4]) {
      const r = gradcheckOrder((t) => mul(t, exp(t)), [x], order);
      expect(r.order).toBe(order);
      expect(r.maxAbsError).toBeLessThan(1e-6);
    }
  });

  it('random-direction mode on a larger input (auto picks it above fullLimit)', () => {
    const x = randn([12, 10], { rng: 42 });
    const f = (t: Tensor): Tensor => mul(tanh(t), sigmoid(t));
    const r = gradcheck(f, [x]);
    expect(r.mode).toBe('random');
    expect(r.checks).toBe(3); // 3 directions × 1 input
    expect(gradcheck(f, [x], { directions: 5 }).checks).toBe(5);
    expect(gradcheck(f, [tensor([1, 2])]).mode).toBe('full');
    expect(gradcheck(f, [tensor([1, 2])], { mode: 'random' }).mode).toBe('random');
    expect(gradcheck(f, [randn([3, 3], { rng: 1 })], { fullLimit: 4 }).mode).toBe('random');
    // Higher orders in random mode too.
    expect(gradgradcheck(f, [x]).mode).toBe('random');
    expect(thirdOrderGradcheck(f, [x], { seed: 7 }).mode).toBe('random');
  });
});

describe('gradcheck catches wrong VJPs', () => {
  it('order 1: a wrong VJP fails, naming the input, the element, analytic vs numeric', () => {
    fc.assert(
      fc.property(anyTensorArb('awayFromZero', { minRank: 1 }), (x) => {
        const e = caught(() => gradcheck(badSquare, [x]));
        expect(e).toBeInstanceOf(CamlabError);
        expect(e.name).toBe('GradcheckError');
        const x0 = x.data[0]!;
        expect(e.analytic).toBeCloseTo(3 * x0, 12);
        expect(e.numeric).toBeCloseTo(2 * x0, 6);
        const zeroIdx = `[${x.shape.map(() => 0).join(',')}]`;
        expect(e.message).toContain(`gradcheck: gradient mismatch at input 0 [${x.shape.join(',')}] element ${zeroIdx}`);
        expect(e.message).toContain(`analytic ${e.analytic} vs numeric ${e.numeric}`);
        expect(e.message).toMatch(/\|error\| \S+ > tolerance \S+/);
      }),
      runs(20),
    );
  });

  it('names the second input when only its gradient is wrong', () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([0.5, -1]);
    const e = caught(() => gradcheck(badMul, [a, b]));
    expect(e.message).toContain('input 1 [2] element [0], output 0 [2,2] element [0,0]');
    expect(e.analytic).toBe(2); // g·a + g at a[0,0] = 1
    expect(e.numeric).toBeCloseTo(1, 8);
    // The right VJP for a alone passes.
    expect(gradcheck((x) => badMul(x, b), [a]).checks).toBe(16);
  });

  it('random mode also fails on a wrong VJP and then locates the worst element', () => {
    const x = randn([9, 9], { rng: 5 });
    const e = caught(() => gradcheck(badSquare, [x], { mode: 'random' }));
    expect(e.message).toMatch(/gradient mismatch at input 0 \[9,9\] element \[\d,\d\] \(gradient of ⟨v, outputs⟩ for a random v\)/);
    expect(Math.abs(e.analytic - e.numeric)).toBeGreaterThan(1e-3);
  });

  it('a VJP on a detached saved output passes gradcheck but fails gradgradcheck (tfjs#3252)', () => {
    for (const [name, bad, good] of [
      ['exp', expDetached, exp],
      ['sigmoid', sigmoidDetached, sigmoid],
      ['tanh', tanhDetached, tanh],
    ] as const) {
      fc.assert(
        fc.property(anyTensorArb('smooth', { minRank: 1, maxSize: 6 }), (x) => {
          // First order: the values are right.
          const r = gradcheck(bad, [x]);
          expect(r.maxAbsError, name).toBeLessThan(1e-7);
          // Second order: the derivative of the gradient w.r.t. x is missing (analytic 0).
          const e = caught(() => gradgradcheck(bad, [x]));
          expect(e.message, name).toMatch(/^gradgradcheck: order-2 derivative mismatch at input 0 /);
          expect(Math.abs(e.analytic), name).toBe(0);
          expect(Math.abs(e.numeric), name).toBeGreaterThan(1e-5);
          // The live-output versions in ops/unary pass both.
          checkAllOrders(good, [x]);
        }),
        runs(8),
      );
    }
  });

  it('a VJP right at orders 1 and 2 but wrong at order 3 fails only thirdOrderGradcheck', () => {
    const x = tensor([0.5, -0.25, 1.5]);
    expect(gradcheck(expWrongAtThird, [x]).maxAbsError).toBeLessThan(1e-7);
    expect(gradgradcheck(expWrongAtThird, [x]).maxAbsError).toBeLessThan(1e-6);
    const e = caught(() => thirdOrderGradcheck(expWrongAtThird, [x]));
    expect(e.message).toMatch(/^gradcheck\(order 3\): order-3 derivative mismatch at input 0 \[3\] element \[\d\]/);
    expect(Math.abs(e.analytic)).toBe(0);
  });

  it('detects a first derivative that is only slightly off', () => {
    // The VJP gives exp(x) + 0.01·x²: wrong by well under 1% at x = 1.
    const slightly = (x: Tensor): Tensor => record('slightly', K.exp(x), [x], (g) => [mul(g, add(exp(x), mul(square(x), 0.01)))]);
    const x = tensor([1, 1.5]);
    expect(() => gradcheck(slightly, [x])).toThrow(GradcheckError);
  });
});

describe('gradcheck input validation', () => {
  it('rejects float32 inputs unless allowFloat32 (with loose tolerances)', () => {
    const x32 = tensor([0.5, 1.5], { dtype: 'float32' });
    expect(() => gradcheck(exp, [x32])).toThrow('gradcheck: input 0 [2] is float32; finite differences need float64 (cast it, or pass allowFloat32 with looser tolerances)');
    expect(() => gradgradcheck(exp, [tensor([1]), x32])).toThrow('gradgradcheck: input 1 [2] is float32');
    const r = gradcheck(exp, [x32], { allowFloat32: true, eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
    expect(r.checks).toBe(4);
    // With float64 tolerances the float32 rounding is (correctly) too large.
    expect(() => gradcheck(exp, [x32], { allowFloat32: true })).toThrow(GradcheckError);
  });

  it('rejects an order below 1 or fractional, and an empty input list', () => {
    expect(() => gradcheckOrder(exp, [tensor([1])], 0)).toThrow('order must be a positive integer, got 0');
    expect(() => gradcheckOrder(exp, [tensor([1])], 1.5)).toThrow('order must be a positive integer, got 1.5');
    expect(() => gradcheck(exp, [])).toThrow('gradcheck: needs at least one input');
  });

  it('does not touch the caller\'s tensors', () => {
    const x = tensor([0.1, 0.2]);
    const before = values(x);
    thirdOrderGradcheck((t) => mul(t, exp(t)), [x]);
    expect(values(x)).toEqual(before);
    expect(x.requiresGrad).toBe(false);
    expect(x.node).toBeNull();
  });

  it('is deterministic for a given seed', () => {
    const x = randn([10, 10], { rng: 3 });
    const f = (t: Tensor): Tensor => tanh(t);
    expect(gradgradcheck(f, [x], { seed: 4 })).toEqual(gradgradcheck(f, [x], { seed: 4 }));
  });

  it('the gradient function checked at order 2 is the createGraph gradient', () => {
    // gradgradcheck(f) ≡ gradcheck of (x, v) ↦ grad(f(x), x, {gradOutputs: v, createGraph}).
    const x = tensor([0.3, 0.8]);
    const v = tensor([1.5, -0.5]);
    const r = gradcheck((a, b) => grad(tanh(a), a, { gradOutputs: b, createGraph: true }), [x, v]);
    expect(r.checks).toBe(2 * 4);
  });
});
