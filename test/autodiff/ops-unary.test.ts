import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { gradcheck } from '../../src/autodiff/gradcheck.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import {
  abs, erf, exp, gelu, log, neg, reciprocal, relu, sigmoid, sign, softplus, sqrt, square, tanh,
} from '../../src/autodiff/ops/unary.js';
import { ones, tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tensorArb, values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { UNARY_ROWS } from './rows/unary.js';

runGradTable(UNARY_ROWS);

describe('unary ops without a derivative', () => {
  it('sign has no gradient: its result is a constant', () => {
    const x = requiresGrad(tensor([-2, 0, 3]));
    const s = sign(x);
    expect(s.requiresGrad).toBe(false);
    expect(s.node).toBeNull();
    expect(values(s)).toEqual([-1, 0, 1]);
  });
});

describe('unary ops: known exact derivatives', () => {
  it('d/dx of x·eˣ at orders 1, 2, 3 is (x + k)·eˣ', () => {
    fc.assert(
      fc.property(tensorArb([5], 'smooth'), (x0) => {
        const x = requiresGrad(x0);
        const f = mul(exp(x), x);
        const [d1] = grad(f, x, { gradOutputs: ones([5]), createGraph: true });
        const [d2] = grad(d1!, x, { gradOutputs: ones([5]), createGraph: true });
        const [d3] = grad(d2!, x, { gradOutputs: ones([5]) });
        const xs = values(x0);
        expectClose(d1!.data, xs.map((v) => (v + 1) * Math.exp(v)), 1e-14, 1e-13);
        expectClose(d2!.data, xs.map((v) => (v + 2) * Math.exp(v)), 1e-14, 1e-13);
        expectClose(d3!.data, xs.map((v) => (v + 3) * Math.exp(v)), 1e-14, 1e-13);
        expect(d1!.requiresGrad).toBe(true);
        expect(d3!.requiresGrad).toBe(false);
      }),
      runs(20),
    );
  });

  it('closed forms of the first and second derivatives of every smooth unary op', () => {
    const xs = [-1.7, -0.4, 0.3, 1.1, 1.9];
    const pos = [0.6, 0.9, 1.3, 1.8, 2];
    const s = (v: number): number => 1 / (1 + Math.exp(-v));
    const phi = (v: number): number => Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
    const cases: Array<[string, (t: Tensor) => Tensor, number[], (v: number) => number, (v: number) => number]> = [
      ['exp', exp, xs, Math.exp, Math.exp],
      ['log', log, pos, (v) => 1 / v, (v) => -1 / (v * v)],
      ['sqrt', sqrt, pos, (v) => 0.5 / Math.sqrt(v), (v) => -0.25 * v ** -1.5],
      ['square', square, xs, (v) => 2 * v, () => 2],
      ['reciprocal', reciprocal, pos, (v) => -1 / (v * v), (v) => 2 / v ** 3],
      ['sigmoid', sigmoid, xs, (v) => s(v) * (1 - s(v)), (v) => s(v) * (1 - s(v)) * (1 - 2 * s(v))],
      ['tanh', tanh, xs, (v) => 1 - Math.tanh(v) ** 2, (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)],
      ['softplus', softplus, xs, s, (v) => s(v) * (1 - s(v))],
      ['erf', erf, xs, (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v), (v) => (-4 * v / Math.sqrt(Math.PI)) * Math.exp(-v * v)],
      ['gelu', gelu, xs, (v) => 0.5 * (1 + erfApprox(v / Math.SQRT2)) + v * phi(v), (v) => 2 * phi(v) - v * v * phi(v)],
      ['abs', abs, xs, Math.sign, () => 0],
      ['relu', relu, xs, (v) => (v > 0 ? 1 : 0), () => 0],
      ['neg', neg, xs, () => -1, () => 0],
    ];
    for (const [name, op, vs, d1f, d2f] of cases) {
      const x = requiresGrad(tensor(vs));
      const v = requiresGrad(ones([vs.length]));
      const [d1] = grad(op(x), x, { gradOutputs: v, createGraph: true });
      const [d2] = grad(d1!, x, { gradOutputs: ones([vs.length]), onUnused: 'zeros' });
      const tol = 1e-13;
      try {
        expectClose(d1!.data, vs.map(d1f), tol, tol);
        expectClose(d2!.data, vs.map(d2f), tol, tol);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  });

  it('the second derivative of relu (and abs) is exactly zero, and relu\'(0) = 0', () => {
    const x = requiresGrad(tensor([-1.5, -0.2, 0, 0.3, 2]));
    // With a constant grad-output the first derivative is the constant mask: no graph at all.
    const [m] = grad(relu(x), x, { gradOutputs: ones([5]), createGraph: true });
    expect(values(m!)).toEqual([0, 0, 0, 1, 1]);
    expect(m!.requiresGrad).toBe(false);
    // With a grad-output that requires grad, the first derivative v·mask does not depend on x.
    const v = requiresGrad(tensor([0.5, -1, 2, 3, -4]));
    const [g1] = grad(relu(x), x, { gradOutputs: v, createGraph: true });
    expect(values(g1!)).toEqual([0, -0, 0, 3, -4]);
    expect(() => grad(g1!, x, { gradOutputs: ones([5]) })).toThrow(/input 0 \(\[5\]\) is not used by the outputs/);
    const [h] = grad(g1!, x, { gradOutputs: ones([5]), onUnused: 'zeros' });
    expect(values(h!).every((e) => e === 0)).toBe(true);
    // Inside a composite: d²/dx² relu(x)² = 2·[x > 0] exactly, and the third derivative is exactly 0.
    const [f1] = grad(sum(square(relu(x))), x, { createGraph: true });
    const u = requiresGrad(ones([5]));
    const [f2] = grad(f1!, x, { gradOutputs: u, createGraph: true });
    expect(values(f2!)).toEqual([0, 0, 0, 2, 2]);
    expect(f2!.requiresGrad).toBe(true);
    const [f3] = grad(f2!, x, { gradOutputs: ones([5]), onUnused: 'zeros' });
    expect(values(f3!).every((e) => e === 0)).toBe(true);
    // The same for abs: second derivative of |x|·c is exactly 0 away from 0.
    const [a1] = grad(abs(x), x, { gradOutputs: v, createGraph: true });
    expect(values(a1!)).toEqual([-0.5, 1, 0, 3, -4]);
    const [a2] = grad(a1!, x, { gradOutputs: ones([5]), onUnused: 'zeros' });
    expect(values(a2!).every((e) => e === 0)).toBe(true);
  });

  it('tanh, sigmoid and exp save the live output, so their gradients are graph tensors (tfjs#3252)', () => {
    for (const op of [exp, tanh, sigmoid, sqrt, reciprocal]) {
      const x = requiresGrad(tensor([0.7, 1.3]));
      const [g1] = grad(sum(op(x)), x, { createGraph: true });
      expect(g1!.requiresGrad).toBe(true);
      expect(gradcheck((t) => grad(sum(op(t)), t, { createGraph: true }), [tensor([0.7, 1.3])]).checks).toBe(4);
    }
  });
});

/** erf by the library's own kernel would be circular; a high-order series is enough for one check. */
function erfApprox(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
