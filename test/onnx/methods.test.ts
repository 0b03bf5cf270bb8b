import { describe, expect, it } from 'vitest';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { METHODS, type ExplainOptions, type MethodName } from '../../src/cam/methods.js';
import type { CamResult } from '../../src/cam/result.js';
import { defaultLayer } from '../../src/cam/split.js';
import { ARCHS, loadFixture, reference, relError } from './support/fixtures.js';

// Every architecture explains with the gradient methods, exact Grad-CAM++ (third derivatives
// through the whole graph), Score-CAM (batches of masked inputs) and Smooth Grad-CAM++ (noisy
// copies), at pytorch-grad-cam's layer, in float64.
const RUNS: ReadonlyArray<[MethodName, ExplainOptions]> = [
  ['gradcam', {}],
  ['gradcam++', {}],
  ['gradcam++-exact', { exact: { batchSize: 512 }, trace: true }],
  ['scorecam', { batchSize: 16 }],
  ['smooth-gradcam++', { samples: 2, seed: 3 }],
];

/** Every map is finite, the upsampled map lies in [0, 1] (all zeros exactly when flagged flat). */
function checkMap(r: CamResult, h: number, w: number, size: number): void {
  expect([...r.map.shape]).toEqual([1, h, w]);
  expect([...r.upsampled.shape]).toEqual([1, size, size]);
  for (const v of r.map.data) expect(Number.isFinite(v)).toBe(true);
  let max = 0;
  for (const v of r.upsampled.data) {
    expect(v >= 0 && v <= 1).toBe(true);
    max = Math.max(max, v);
  }
  expect(max).toBe(r.flat[0] ? 0 : 1);
}

describe.each(ARCHS)('%s explains with every method', (arch) => {
  const ref = reference(arch);
  const x = ref.get('input');
  const m = loadFixture(`${arch}.f64.onnx`, { dtype: 'float64' });
  const [, , h, w] = ref.get('activation').shape as [number, number, number, number];

  it.each(RUNS)('%s', (method, extra) => {
    const r = METHODS[method](m, x, { layer: ref.layer, target: ref.cls, ...extra }) as CamResult;
    expect(r.layer).toBe(ref.layer);
    expect(r.classes).toEqual([ref.cls]);
    expect(r.scores[0]).toBeCloseTo(ref.get('logits_f64').data[ref.cls]!, 9);
    checkMap(r, h, w, x.shape[2]!);
    if (method === 'gradcam++-exact') {
      // Y = exp(S − S0): its first derivative at the clean input is dS/dA itself. (The exact map
      // may be flat: ConvNeXt's exact weights make Σ w·A negative everywhere.)
      expect(relError(r.trace!.d1!.data, ref.get('gradient').data)).toBeLessThan(1e-9);
    } else expect(r.flat[0]).toBe(false);
  });

  it('explains at its default layer, the last feature map before global pooling', () => {
    const layer = defaultLayer(m, x);
    const r = METHODS.gradcam(m, x, { target: ref.cls });
    expect(r.layer).toBe(layer);
    expect(r.map.ndim).toBe(3);
    expect(r.map.shape[1]! * r.map.shape[2]!).toBeGreaterThan(1);
  });
});

describe('exact Grad-CAM++ through ONNX graphs', () => {
  it('equals the closed form on a piecewise-linear head (ResNet-18: pooling and a linear layer after layer4.1)', () => {
    const ref = reference('resnet18');
    const m = loadFixture('resnet18.f64.onnx', { dtype: 'float64' });
    const opts = { layer: 'layer4.1', target: ref.cls };
    const closed = gradCamPlusPlus(m, ref.get('input'), opts);
    const exact = gradCamPlusPlus(m, ref.get('input'), { ...opts, exact: true });
    expect(relError(exact.weights!.data, closed.weights!.data)).toBeLessThan(1e-9);
  });

  it('differs from the closed form on a smooth head (the ViT: attention, LayerNorm and GELU after ln_1)', () => {
    const ref = reference('vit');
    const m = loadFixture('vit.dynamic.onnx', { dtype: 'float64' });
    const opts = { layer: ref.layer, target: ref.cls };
    const closed = gradCamPlusPlus(m, ref.get('input'), opts);
    const exact = gradCamPlusPlus(m, ref.get('input'), { ...opts, exact: true });
    expect(relError(exact.weights!.data, closed.weights!.data)).toBeGreaterThan(1e-3);
  });
});
