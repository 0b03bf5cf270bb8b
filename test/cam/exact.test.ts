import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gather } from '../../src/autodiff/ops/indexing.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { reshape } from '../../src/autodiff/ops/movement.js';
import { indices } from '../../src/tensor/indexing.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { exactDerivatives, layerGradients, prepare } from '../../src/cam/gradients.js';
import { clone } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { runs, expectClose } from '../support/check.js';
import { image, maxRelDiff, piecewiseLinearHead, positive, smallCnn, tanhHead } from './helpers.js';

const LAYER = 'features.0';

describe('exact Grad-CAM++ (true higher-order diagonals)', () => {
  it('equals the closed form to 1e-12 on random piecewise-linear heads with Y = exp(S − S0)', () => {
    let informative = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 0, max: 2 }), (seed, k, half, cls) => {
      const model = piecewiseLinearHead(k, 3, seed);
      const a = positive([1, k, 2 * half, 2 * half + 2], seed + 1);
      const closed = gradCamPlusPlus(model, a, { layer: LAYER, target: cls, trace: true });
      const exact = gradCamPlusPlus(model, a, { layer: LAYER, target: cls, trace: true, exact: { batchSize: 7 } });
      const t = closed.trace!;
      const e = exact.trace!;
      expect(maxRelDiff(e.d1.data, t.d1.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(e.d2!.data, t.d2!.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(e.d3!.data, t.d3!.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(exact.weights!.data, closed.weights!.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(exact.map.data, closed.map.data)).toBeLessThan(1e-12);
      if (e.d2!.data.some((v) => v !== 0) && closed.weights!.data.some((v) => v !== 0)) informative++;
    }), runs(15));
    expect(informative).toBeGreaterThan(5); // most random heads have live units, so the comparison is not vacuous
  });

  it('does not depend on the batch size of the diagonal extraction', () => {
    const model = tanhHead(2, 3, 5);
    const a = positive([1, 2, 4, 4], 9);
    const ctx = prepare(model, a, { layer: LAYER, target: 2 });
    const one = exactDerivatives(ctx, { batchSize: 1, output: 'raw' });
    const many = exactDerivatives(ctx, { batchSize: 13, output: 'raw' });
    expect(one.d2.toFlatArray()).toEqual(many.d2.toFlatArray());
    expect(one.d3.toFlatArray()).toEqual(many.d3.toFlatArray());
  });

  describe('on a head autodiff certifies linear (the chain rule instead of batched passes)', () => {
    const outputs = ['exp', 'softmax', 'raw'] as const;

    it.each(outputs)('gives the batched passes\' diagonals to 1e-12 on random piecewise-linear heads and smallCnn (Y = %s)', (output) => {
      let informative = 0;
      fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 1 }), (seed, k, classes, cnn) => {
        const model = cnn === 1 ? smallCnn(seed, classes) : piecewiseLinearHead(k, classes, seed);
        const x = cnn === 1 ? image([2, 3, 8, 8], seed + 1) : positive([2, k, 4, 6], seed + 1);
        // (smallCnn cut at its first conv: the head holds its eval-mode batch norm, ReLU, max-pool and conv)
        const ctx = prepare(model, x, { layer: cnn === 1 ? 'features.0' : LAYER, target: [0, classes - 1] });
        const auto = exactDerivatives(ctx, { output, batchSize: 2 });
        const passes = exactDerivatives(ctx, { output, batchSize: 7, diagonals: 'passes' });
        expect(auto.linearHead).toBe(true);
        expect(passes.linearHead).toBe(false);
        expect(auto.d1.toFlatArray()).toEqual(passes.d1.toFlatArray());
        expect(maxRelDiff(auto.d2.data, passes.d2.data)).toBeLessThan(1e-12);
        expect(maxRelDiff(auto.d3.data, passes.d3.data)).toBeLessThan(1e-12);
        if (output === 'raw') expect(auto.d2.data.every((v) => v === 0) && auto.d3.data.every((v) => v === 0)).toBe(true);
        else if (passes.d3.data.some((v) => Math.abs(v) > 1e-8)) informative++;
      }), runs(12));
      if (output !== 'raw') expect(informative).toBeGreaterThan(4); // not a comparison of zeros
    });

    it.each([0, 1, 2, 3])('keeps the softmax moments exact where one class holds almost all the probability (target %i)', (target) => {
      // Large activations push p to within 1e-20 of one-hot: the other classes' tiny weights carry
      // the whole spread of u, which a running mean of u itself (or E[u²] − E[u]²) would lose.
      const model = piecewiseLinearHead(2, 4, 31);
      const a = positive([1, 2, 4, 6], 32);
      a.data.forEach((v, i) => (a.data[i] = 2000 * v));
      const ctx = prepare(model, a, { layer: LAYER, target });
      const p = softmaxRow(ctx.split.output);
      const top = p.indexOf(Math.max(...p));
      expect(p.reduce((s, x, j) => s + (j === top ? 0 : x), 0)).toBeLessThan(1e-20);
      const auto = exactDerivatives(ctx, { output: 'softmax' });
      expect(auto.linearHead).toBe(true);
      // Reference: the same closed forms, two passes over the logits' Jacobian columns shifted by u_c.
      const jac = Array.from({ length: 4 }, (_, j) => layerGradients(prepare(model, a, { layer: LAYER, target: j })).g.data);
      const ref2: number[] = [];
      const ref3: number[] = [];
      for (let e = 0; e < a.size; e++) {
        const v = jac.map((row) => row[e]! - jac[target]![e]!);
        const mean = v.reduce((s, x, j) => s + p[j]! * x, 0);
        const var2 = v.reduce((s, x, j) => s + p[j]! * (x - mean) ** 2, 0);
        const k3 = v.reduce((s, x, j) => s + p[j]! * (x - mean) ** 3, 0);
        const [l1, l2, l3] = [-mean, -var2, -k3];
        ref2.push(p[target]! * (l2 + l1 * l1));
        ref3.push(p[target]! * (l3 + 3 * l1 * l2 + l1 * l1 * l1));
      }
      expect(maxRelDiff(auto.d2.data, ref2)).toBeLessThan(1e-12);
      expect(maxRelDiff(auto.d3.data, ref3)).toBeLessThan(1e-12);
      if (p[target]! < 0.5) {
        // Away from p_c ≈ 1 the batched passes agree too (at p_c ≈ 1 their p·(1 − p) terms cancel:
        // scripts/softmax-diagonals.py checks both in 60-digit arithmetic: chain rule 3e-16, passes off by ~0.9).
        const passes = exactDerivatives(ctx, { output: 'softmax', diagonals: 'passes' });
        expect(maxRelDiff(auto.d2.data, passes.d2.data)).toBeLessThan(1e-9);
        expect(maxRelDiff(auto.d3.data, passes.d3.data)).toBeLessThan(1e-9);
      }
    });

    it('does not depend on the batch size of the softmax Jacobian passes', () => {
      const ctx = prepare(piecewiseLinearHead(2, 5, 3), positive([1, 2, 4, 4], 4), { layer: LAYER, target: 3 });
      const one = exactDerivatives(ctx, { output: 'softmax', batchSize: 1 });
      const many = exactDerivatives(ctx, { output: 'softmax', batchSize: 4 });
      expect(one.d2.toFlatArray()).toEqual(many.d2.toFlatArray());
      expect(one.d3.toFlatArray()).toEqual(many.d3.toFlatArray());
    });

    it('is not taken where the head or the target curves (tanh, a squared score): the batched passes run', () => {
      const smooth = prepare(tanhHead(2, 3, 5), positive([1, 2, 4, 4], 6), { layer: LAYER, target: 1 });
      const auto = exactDerivatives(smooth, {});
      const passes = exactDerivatives(smooth, { diagonals: 'passes' });
      expect(auto.linearHead).toBe(false);
      expect(auto.d2.toFlatArray()).toEqual(passes.d2.toFlatArray());
      const squared = (row: Tensor): Tensor => { const s = mulScalar(row, 1, 1); return mul(s, s); };
      const curved = prepare(piecewiseLinearHead(2, 3, 5), positive([1, 2, 4, 4], 6), { layer: LAYER, target: squared });
      expect(exactDerivatives(curved, { output: 'raw' }).linearHead).toBe(false);
      // A probability target is a softmax of the scores: curved as well.
      const prob = prepare(piecewiseLinearHead(2, 3, 5), positive([1, 2, 4, 4], 6), { layer: LAYER, target: { class: 1, output: 'probability' } });
      expect(exactDerivatives(prob, {}).linearHead).toBe(false);
    });

    it('rejects an unknown diagonals option', () => {
      const ctx = prepare(piecewiseLinearHead(1, 2, 1), positive([1, 1, 4, 4], 2), { layer: LAYER, target: 0 });
      expect(() => exactDerivatives(ctx, { diagonals: 'fast' as 'auto' })).toThrow(`exact Grad-CAM++: diagonals must be 'auto' or 'passes', got "fast"`);
    });
  });

  describe('on a smooth (tanh) head', () => {
    const model = tanhHead(2, 3, 11);
    const a = positive([1, 2, 4, 4], 12);

    it('differs from the closed form', () => {
      const closed = gradCamPlusPlus(model, a, { layer: LAYER, target: 1, trace: true });
      const exact = gradCamPlusPlus(model, a, { layer: LAYER, target: 1, trace: true, exact: true });
      expect(maxRelDiff(exact.trace!.d2!.data, closed.trace!.d2!.data)).toBeGreaterThan(1e-3);
      expect(maxRelDiff(exact.trace!.d3!.data, closed.trace!.d3!.data)).toBeGreaterThan(1e-3);
    });

    it.each(['raw', 'softmax'] as const)('its exact diagonals match central finite differences of the head (Y = %s)', (output) => {
      const at = (x: Tensor): ReturnType<typeof exactDerivatives> => exactDerivatives(prepare(model, x, { layer: LAYER, target: 1 }), { output });
      const base = at(a);
      const eps = 1e-5;
      for (const e of [0, 5, 10, 17, 23, 31]) {
        const plus = clone(a);
        const minus = clone(a);
        plus.data[e] = plus.data[e]! + eps;
        minus.data[e] = minus.data[e]! - eps;
        const p = at(plus);
        const m = at(minus);
        // d2_e = ∂(∂Y/∂A_e)/∂A_e and d3_e = ∂d2_e/∂A_e, differenced from the exact lower-order functions.
        const d2 = (p.d1.data[e]! - m.d1.data[e]!) / (2 * eps);
        const d3 = (p.d2.data[e]! - m.d2.data[e]!) / (2 * eps);
        expectClose([base.d2.data[e]!], [d2], 1e-7, 1e-5);
        expectClose([base.d3.data[e]!], [d3], 1e-6, 1e-4);
      }
    });

    it('is invariant to scaling Y (all derivatives scale alike; the map is normalized)', () => {
      const s1 = gradCamPlusPlus(model, a, { layer: LAYER, target: 1, exact: { output: 'raw' } });
      const s5 = gradCamPlusPlus(model, a, { layer: LAYER, target: (row) => mulScalar(row, 1, 5), exact: { output: 'raw' } });
      expect(maxRelDiff(s5.upsampled.data, s1.upsampled.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(s5.weights!.data, s1.weights!.data.map((v) => 5 * v))).toBeLessThan(1e-12);
    });
  });
});


/** The softmax of a [1, C] output row, in float64. */
function softmaxRow(out: Tensor): number[] {
  const row = Array.from(out.data);
  const top = Math.max(...row);
  const e = row.map((v) => Math.exp(v - top));
  const z = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / z);
}

/** λ · row[c] as a differentiable scalar. */
function mulScalar(row: Tensor, c: number, lambda: number): Tensor {
  return mul(reshape(gather(row, indices([c])), []), lambda);
}
