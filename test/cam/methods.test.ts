import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { gather } from '../../src/autodiff/ops/indexing.js';
import { add, mul } from '../../src/autodiff/ops/elementwise.js';
import { reshape } from '../../src/autodiff/ops/movement.js';
import { cam, fuseLayerCams, gradCam, layerCam, xGradCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { applicableMethods, explain, METHOD_NAMES, methodDescriptor } from '../../src/cam/methods.js';
import { scoreCam } from '../../src/cam/scorecam.js';
import { smoothGrad, smoothGradCamPlusPlus } from '../../src/cam/smooth.js';
import { Conv2d, GlobalAvgPool, Linear, ReLU, Sequential } from '../../src/nn/layers.js';
import { clone, zeros } from '../../src/tensor/create.js';
import { indices } from '../../src/tensor/indexing.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf, expectClose } from '../support/check.js';
import { randomVit } from '../support/vit.js';
import { gapLinear, image, maxRelDiff, positive, smallCnn } from './helpers.js';

const scaled = (c: number, lambda: number, shift = 0) => (row: Tensor): Tensor => add(mul(reshape(gather(row, indices([c])), []), lambda), shift);

describe('every method', () => {
  const model = smallCnn(3);
  const x = image([2, 3, 8, 6], 4);
  const transformer = randomVit(3);
  const xv = image([2, 3, 8, 8], 4);

  it.each(METHOD_NAMES)('%s returns finite maps of the documented shapes, normalized to [0,1] (on a CNN, or a ViT for rollouts)', (m) => {
    const vit = methodDescriptor(m).appliesTo === 'transformer';
    const r = explain(m, vit ? transformer : model, vit ? xv : x, { samples: 3 });
    const [h, w] = vit ? [8, 8] : [8, 6];
    expect(r.upsampled.shape).toEqual([2, h, w]);
    for (const v of r.upsampled.data) expect(v >= 0 && v <= 1).toBe(true);
    for (const v of r.map.data) expect(Number.isFinite(v)).toBe(true);
    expect(r.classes).toHaveLength(2);
    r.flat.forEach((f, i) => {
      const slice = r.upsampled.data.subarray(i * h * w, (i + 1) * h * w);
      if (f) expect(slice.every((v) => v === 0)).toBe(true);
      else expect(Math.max(...slice)).toBeCloseTo(1, 12);
    });
  });

  it('a method for other models is a one-line error naming both: rollouts on a CNN, CAM on a ViT', () => {
    expect(errorOf(() => explain('gradient-rollout', model, x))).toBe('explain: gradient-rollout applies to transformers (models with MultiheadAttention blocks), and Sequential is not one');
    expect(errorOf(() => explain('cam', transformer, xv))).toMatch(/^explain: cam applies to models ending in global average pooling and one linear layer, and VisionTransformer\(image=8, .*\) is not one$/);
    expect(applicableMethods(model).map((d) => d.name)).toEqual(METHOD_NAMES.filter((n) => methodDescriptor(n).appliesTo !== 'transformer'));
    expect(applicableMethods(transformer).map((d) => d.name)).toEqual(METHOD_NAMES.filter((n) => n !== 'cam'));
  });

  it('Grad-CAM, XGrad-CAM, Layer-CAM and CAM maps are invariant to scaling the score (λ > 0)', () => {
    for (const fn of [gradCam, xGradCam, layerCam]) {
      const a = fn(model, x, { target: [1, 2] });
      const b = fn(model, x, { target: [scaled(1, 3.5), scaled(2, 3.5)] });
      expect(maxRelDiff(b.upsampled.data, a.upsampled.data)).toBeLessThan(1e-12);
    }
  });

  it('scores hold each target output: the logit, the softmax probability, or the function value', () => {
    const logits = model.call(x);
    const r = gradCam(model, x, { target: [1, { class: 2, output: 'probability' }] });
    expect(r.scores[0]).toBe(logits.data[1]);
    expect(r.scores[1]).toBeCloseTo(r.probabilities[1]!, 15);
    expect(r.scores[1]).not.toBeCloseTo(logits.data[6 + 2]!, 6);
    const c = gradCam(model, x, { target: scaled(1, 3.5) });
    expect(c.scores[0]).toBeCloseTo(3.5 * logits.data[1]!, 12);
    expect(c.probabilities).toEqual([null, null]);
  });

  it('rejects an unknown target output and presets named like Object.prototype members', () => {
    expect(() => gradCam(model, x, { target: { class: 1, output: 'prob' as never } })).toThrow(/cam target: output must be 'score' or 'probability', got 'prob'/);
    expect(() => gradCamPlusPlus(model, x, { preset: 'constructor' as never })).toThrow(/unknown preset 'constructor'/);
    expect(() => smoothGradCamPlusPlus(model, x, { preset: 'toString' as never })).toThrow(/unknown preset 'toString'/);
  });

  it('exact Grad-CAM++ with Y = exp(S − S0) is invariant to shifting S (S0 absorbs it)', () => {
    const a = gradCamPlusPlus(model, x, { target: 1, exact: true });
    const b = gradCamPlusPlus(model, x, { target: scaled(1, 1, 7), exact: true });
    expect(maxRelDiff(b.upsampled.data, a.upsampled.data)).toBeLessThan(1e-10);
  });
});

describe('CAM and Grad-CAM on a GAP + linear head', () => {
  it('CAM weights are W_fc[c,:] and equal hw × the Grad-CAM weights', () => {
    const model = gapLinear(3, 4, 21);
    const a = positive([1, 3, 4, 5], 22);
    const c = cam(model, a, { layer: 'features.0', target: 2 });
    const g = gradCam(model, a, { layer: 'features.0', target: 2 });
    const W = model.get('head.1').namedParameters().find(([n]) => n === 'weight')![1];
    expectClose(c.weights!.data, W.toFlatArray().slice(6, 9));
    expectClose(c.weights!.data, g.weights!.toFlatArray().map((v) => 20 * v), 1e-14, 1e-12);
  });

  it('CAM refuses other heads and says what follows the layer', () => {
    const model = smallCnn(1);
    expect(() => cam(model, image([1, 3, 8, 8], 2), { layer: 'features.2' })).toThrow(/CAM needs global average pooling then one linear layer after 'features.2'/);
  });
});

describe('XGrad-CAM and Layer-CAM formulas', () => {
  it('XGrad-CAM: w_k = Σ g·A / ΣA; Layer-CAM: ReLU(Σ_k ReLU(g_k) A_k)', () => {
    const model = smallCnn(5);
    const x = image([1, 3, 8, 8], 6);
    const xr = xGradCam(model, x, { trace: true });
    const t = xr.trace!;
    const [, k, h, w] = t.A.shape as number[];
    const hw = h! * w!;
    const expected = Array.from({ length: k! }, (_, c) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < hw; i++) {
        num += t.d1.data[c * hw + i]! * t.A.data[c * hw + i]!;
        den += t.A.data[c * hw + i]!;
      }
      return den === 0 ? 0 : num / den;
    });
    expectClose(xr.weights!.data, expected, 1e-14, 1e-12);
    const lr = layerCam(model, x, { trace: true });
    const lt = lr.trace!;
    const map = Array.from({ length: hw }, (_, i) => {
      let s = 0;
      for (let c = 0; c < k!; c++) s += Math.max(lt.d1.data[c * hw + i]!, 0) * lt.A.data[c * hw + i]!;
      return Math.max(s, 0);
    });
    expectClose(lr.map.data, map, 1e-14, 1e-12);
  });

  it('multi-layer fusion: tanh(2·M/max M) per layer, element-wise max, normalized', () => {
    const model = smallCnn(7);
    const x = image([1, 3, 8, 8], 8);
    const deep = layerCam(model, x, { layer: 'features.5' });
    const shallow = layerCam(model, x, { layer: 'features.2' });
    const fused = fuseLayerCams([deep, shallow]);
    expect(fused.upsampled.shape).toEqual([1, 8, 8]);
    const single = fuseLayerCams([deep]);
    expect(maxRelDiff(single.upsampled.data, deep.upsampled.data)).toBeLessThan(0.5); // tanh reshapes but keeps the ordering
    const order = (d: ArrayLike<number>) => Array.from(d).map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]).map(([, i]) => i);
    expect(order(single.upsampled.data)).toEqual(order(deep.upsampled.data));
  });
});

describe('SmoothGrad and Smooth Grad-CAM++', () => {
  const model = smallCnn(9);
  const x = image([1, 3, 8, 8], 10);

  it('SmoothGrad with zero noise equals the plain input gradient', () => {
    const r = smoothGrad(model, x, { noise: 0, samples: 3, target: 1 });
    const leaf = requiresGrad(clone(x));
    const out = model.call(leaf);
    const [g] = grad(reshape(gather(out, indices([1])), []), leaf);
    expectClose(r.saliency.data, g!.data, 1e-15, 1e-12);
    const sq = smoothGrad(model, x, { noise: 0, samples: 2, target: 1, variant: 'squares' });
    expectClose(sq.saliency.data, g!.toFlatArray().map((v) => v * v), 1e-15, 1e-12);
    const v = smoothGrad(model, x, { noise: 0, samples: 2, target: 1, variant: 'variance' });
    expectClose(v.saliency.data, new Array(g!.size).fill(0), 1e-15);
  });

  it('Smooth Grad-CAM++ with n = 1 and zero noise equals Grad-CAM++', () => {
    const pp = gradCamPlusPlus(model, x, { target: 2 });
    const s = smoothGradCamPlusPlus(model, x, { target: 2, samples: 1, noise: 0 });
    expectClose(s.weights!.data, pp.weights!.data, 0, 1e-15);
    expectClose(s.upsampled.data, pp.upsampled.data, 0, 1e-15);
    const ex = smoothGradCamPlusPlus(model, x, { target: 2, samples: 1, noise: 0, exact: true });
    expect(maxRelDiff(ex.weights!.data, pp.weights!.data)).toBeLessThan(1e-12);
  });

  it('on a GAP + linear head g is constant, so the noise changes nothing at the last layer', () => {
    const a = smoothGradCamPlusPlus(model, x, { samples: 4, seed: 3 });
    const b = smoothGradCamPlusPlus(model, x, { samples: 4, seed: 4 });
    expectClose(a.weights!.data, b.weights!.data, 1e-15, 1e-12);
    expectClose(a.weights!.data, gradCamPlusPlus(model, x).weights!.data, 1e-15, 1e-12);
  });

  it('is reproducible for a seed and varies with it; n samples average the moments', () => {
    // An earlier layer, where the gradient depends on the input.
    const a = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 4, seed: 3, trace: true });
    const b = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 4, seed: 3 });
    const c = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 4, seed: 4 });
    expect(a.weights!.toFlatArray()).toEqual(b.weights!.toFlatArray());
    expect(a.weights!.toFlatArray()).not.toEqual(c.weights!.toFlatArray());
    // D2 ≥ D1² elementwise (Jensen), equality only without noise.
    const t = a.trace!;
    for (let i = 0; i < t.d1.size; i++) expect(t.d2!.data[i]! + 1e-15).toBeGreaterThanOrEqual(t.d1.data[i]! ** 2);
  });

  it('restricts the explanation to chosen feature maps or neurons', () => {
    const all = smoothGradCamPlusPlus(model, x, { samples: 2, seed: 1 });
    const some = smoothGradCamPlusPlus(model, x, { samples: 2, seed: 1, channels: [0, 3] });
    const w = some.weights!.toFlatArray();
    w.forEach((v, i) => expect(v).toBe(i === 0 || i === 3 ? all.weights!.data[i] : 0));
    const pos = smoothGradCamPlusPlus(model, x, { samples: 2, seed: 1, positions: [[0, 0], [1, 2]], trace: true });
    expect(pos.weights!.data.some((v, i) => v !== all.weights!.data[i])).toBe(true);
    expect(() => smoothGradCamPlusPlus(model, x, { samples: 1, channels: [99] })).toThrow(/channel 99 is out of range: the layer has 8 feature maps/);
    expect(() => smoothGradCamPlusPlus(model, x, { samples: 1, positions: [[9, 0]] })).toThrow(/position \[9, 0\] is outside the 4x4 feature map/);
  });

  it('keeps the class explained on the clean image even if noise flips the prediction', () => {
    const r = smoothGradCamPlusPlus(model, x, { samples: 3, noise: 5, seed: 2 });
    expect(r.classes[0]).toBe(gradCam(model, x).classes[0]);
  });

  it('presets: paper puts D1 in the numerator, torchcam uses the last sample', () => {
    const ours = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 3, seed: 5, trace: true });
    const paper = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 3, seed: 5, preset: 'paper', trace: true });
    expect(maxRelDiff(paper.trace!.alpha!.data, ours.trace!.alpha!.data)).toBeGreaterThan(1e-6);
    const torchcam = smoothGradCamPlusPlus(model, x, { layer: 'features.2', samples: 3, seed: 5, preset: 'torchcam' });
    expect(maxRelDiff(torchcam.weights!.data, ours.weights!.data)).toBeGreaterThan(1e-6);
    expect(() => smoothGradCamPlusPlus(model, x, { preset: 'nope' as never })).toThrow(/unknown preset 'nope'; known: camlab, paper, torchcam/);
  });
});

describe('Score-CAM', () => {
  it('batched forward passes give the same weights as one at a time', () => {
    const model = smallCnn(12);
    const x = image([2, 3, 8, 8], 13);
    const a = scoreCam(model, x, { batchSize: 1 });
    const b = scoreCam(model, x, { batchSize: 5 });
    expectClose(b.weights!.data, a.weights!.data, 1e-15, 1e-12);
    // softmax weights: positive, summing to 1 per image
    for (let i = 0; i < 2; i++) expect(a.weights!.toFlatArray().slice(8 * i, 8 * i + 8).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });
});

describe('degenerate inputs never give NaN', () => {
  it('zero gradients: a class the layer cannot influence gives a flat, all-zero map with the flag set', () => {
    const model = gapLinear(3, 2, 1);
    const W = model.get('head.1').namedParameters().find(([n]) => n === 'weight')![1];
    W.data.fill(0, 3, 6); // class 1 ignores every channel
    const a = positive([1, 3, 4, 4], 2);
    for (const m of applicableMethods(model).map((d) => d.name).filter((n) => n !== 'smoothgrad')) {
      const r = explain(m, model, a, { layer: 'features.0', target: 1, samples: 2 });
      // Score-CAM's softmax of equal scores is uniform and EigenCAM ignores the class: their maps need not be flat.
      if (m !== 'scorecam' && m !== 'eigencam') expect(r.flat[0], m).toBe(true);
      for (const v of r.upsampled.data) expect(Number.isNaN(v)).toBe(false);
    }
  });

  it('a pre-ReLU target layer with negative activation sums stays finite', () => {
    const rng = new Rng(4);
    const model = Sequential.named([
      ['features', new Sequential(new Conv2d(3, 4, 3, { padding: 1, rng }), new ReLU())],
      ['head', new Sequential(new GlobalAvgPool(), new Linear(4, 2, { rng }))],
    ]).eval();
    const x = image([1, 3, 6, 6], 5);
    for (const exact of [false, true]) {
      const r = gradCamPlusPlus(model, x, { layer: 'features.0', exact, trace: true });
      expect(r.trace!.sumA!.data.some((v) => v < 0)).toBe(true);
      for (const v of r.trace!.alpha!.data) expect(Number.isFinite(v)).toBe(true);
      for (const v of r.upsampled.data) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('a constant map is flat, not NaN', () => {
    const model = gapLinear(1, 2, 3);
    const a = zeros([1, 1, 3, 3]);
    a.data.fill(0.7);
    const r = gradCam(model, a, { layer: 'features.0', target: 0 });
    expect(r.flat[0]).toBe(true);
    expect(r.upsampled.toFlatArray().every((v) => v === 0)).toBe(true);
  });
});
