import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gather } from '../../src/autodiff/ops/indexing.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { reshape } from '../../src/autodiff/ops/movement.js';
import { indices } from '../../src/tensor/indexing.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { exactDerivatives, prepare } from '../../src/cam/gradients.js';
import { clone } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { runs, expectClose } from '../support/check.js';
import { maxRelDiff, piecewiseLinearHead, positive, tanhHead } from './helpers.js';

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


/** λ · row[c] as a differentiable scalar. */
function mulScalar(row: Tensor, c: number, lambda: number): Tensor {
  return mul(reshape(gather(row, indices([c])), []), lambda);
}
