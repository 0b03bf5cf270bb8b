import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { gradCamPlusPlusAlpha } from '../../src/cam/formulas.js';
import { tensor } from '../../src/tensor/create.js';
import { runs, expectClose } from '../support/check.js';
import { gapLinear, positive } from './helpers.js';

describe('Grad-CAM++ on a global-average-pooling head (g constant per channel)', () => {
  // S = Σ_k W[c,k]·mean(A_k) ⇒ g_k = W[c,k]/Z with Z = hw. Closed form: α = 1/(2 + g·ΣA_k),
  // so w_k = Z·ReLU(g_k)/(2 + g_k·ΣA_k) — the paper's own worked case.
  it('gives w_k = Z·c/(2 + c·ΣA_k) for c = ∂S/∂A_k > 0 and 0 for c < 0', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }), (seed, k, h, w) => {
      const model = gapLinear(k, 3, seed);
      const a = positive([1, k, h, w], seed + 1);
      const r = gradCamPlusPlus(model, a, { layer: 'features.0', target: 1, trace: true });
      const W = model.get('head.1').namedParameters().find(([n]) => n === 'weight')![1];
      const Z = h * w;
      const expected = Array.from({ length: k }, (_, j) => {
        const c = W.data[1 * k + j]! / Z;
        let sumA = 0;
        for (let i = 0; i < Z; i++) sumA += a.data[j * Z + i]!;
        return c > 0 ? (Z * c) / (2 + c * sumA) : 0;
      });
      expectClose(r.weights!.data, expected, 1e-15, 1e-12);
    }), runs(40));
  });

  it('with the official per-channel α normalization equals Grad-CAM with negative channels dropped', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
      const model = gapLinear(4, 3, seed);
      const a = positive([1, 4, 3, 5], seed + 7);
      const pp = gradCamPlusPlus(model, a, { layer: 'features.0', target: 0, preset: 'official' });
      const g = gradCam(model, a, { layer: 'features.0', target: 0 });
      const relu = g.weights!.toFlatArray().map((v) => Math.max(v, 0));
      expectClose(pp.weights!.data, relu, 1e-15, 1e-12);
      // tf-keras-vis uses the same normalization.
      expectClose(gradCamPlusPlus(model, a, { layer: 'features.0', target: 0, preset: 'tf-keras-vis' }).weights!.data, relu, 1e-15, 1e-12);
    }), runs(30));
  });
});

describe('gradCamPlusPlusAlpha (eq. 19 and the known variants)', () => {
  const A = tensor([[[[1, 2], [3, -1]]]]); // ΣA = 5
  const g2 = tensor([[[[0.25, 1], [0, 4]]]]);
  const g3 = tensor([[[[0.125, -1], [0, 8]]]]);

  it('paper form: ΣA_k times g³ at (i,j); α = 0 where the denominator is 0', () => {
    const alpha = gradCamPlusPlusAlpha(A, g2, g3);
    expectClose(alpha.data, [0.25 / (0.5 + 5 * 0.125), 1 / (2 - 5), 0, 4 / (8 + 40)]);
  });

  it('index-mixed form (torchcam): Σ_ab A_ab g_ab³ in every denominator of the channel', () => {
    const mixed = 1 * 0.125 + 2 * -1 + 3 * 0 + -1 * 8; // −9.875
    const alpha = gradCamPlusPlusAlpha(A, g2, g3, { denominator: 'index-mixed' });
    expectClose(alpha.data, [0.25 / (0.5 + mixed), 1 / (2 + mixed), 0, 4 / (8 + mixed)]);
  });

  it('eps, per-channel normalization and the torchcam no-division variant', () => {
    const eps = gradCamPlusPlusAlpha(A, g2, g3, { eps: 1e-6 });
    expectClose(eps.data, [0.25 / (1.125 + 1e-6), 1 / (-3 + 1e-6), 0, 4 / (48 + 1e-6)]);
    const norm = gradCamPlusPlusAlpha(A, g2, g3, { normalizeAlpha: true });
    const raw = [0.25 / 1.125, -1 / 3, 0, 4 / 48];
    const s = raw.reduce((x, y) => x + y, 0);
    expectClose(norm.data, raw.map((v) => v / s));
    expect(gradCamPlusPlusAlpha(A, g2, g3, { skipDivision: true }).toFlatArray()).toEqual(g2.toFlatArray());
  });

  it('never returns NaN: zero gradients give α = 0, a zero channel sum after normalization gives 0', () => {
    const z = tensor([[[[0, 0], [0, 0]]]]);
    expect(gradCamPlusPlusAlpha(A, z, z).toFlatArray()).toEqual([0, 0, 0, 0]);
    expect(gradCamPlusPlusAlpha(A, z, z, { normalizeAlpha: true }).toFlatArray()).toEqual([0, 0, 0, 0]);
  });
});
