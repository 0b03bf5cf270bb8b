import { describe, expect, it } from 'vitest';
import { gradCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { METHOD_NAMES, METHODS, explain, methodDescriptor, whyNotApplicable, type ExplainOptions } from '../../src/cam/methods.js';
import type { CamResult } from '../../src/cam/result.js';
import type { SaliencyResult } from '../../src/cam/smooth.js';
import { defaultLayer } from '../../src/cam/split.js';
import { ARCHS, loadFixture, reference, relError } from './support/fixtures.js';

// Every registered method explains every architecture at pytorch-grad-cam's layer, in float64:
// the gradient methods, exact Grad-CAM++ (third derivatives through the whole graph), Score-CAM
// (batches of masked inputs), the noise-based methods (noisy copies) and CAM (read off the
// graph's GAP + linear head). A row per method holds its speed settings; a method without a row
// fails the first test, so a new method is tested on every architecture as soon as it exists.
const RUNS: Readonly<Record<string, ExplainOptions>> = {
  cam: {},
  gradcam: {},
  'gradcam++': {},
  'gradcam++-exact': { exact: { batchSize: 512 }, trace: true },
  xgradcam: {},
  layercam: {},
  hirescam: {},
  scorecam: { batchSize: 16 },
  ablationcam: { batchSize: 64 },
  eigencam: {},
  smoothgrad: { samples: 2, seed: 3 },
  'smooth-gradcam++': { samples: 2, seed: 3 },
  // Rollouts read the attention probabilities: the ViT has them (test/onnx/rollout.test.ts checks
  // the numbers against PyTorch), a CNN does not: a one-line error.
  'attention-rollout': {},
  'smooth-attention-rollout': {},
  'gradient-rollout': {},
  'smooth-gradient-rollout': {},
  'gradcam++-rollout': {},
  'gradcam++-rollout-exact': {},
  'smooth-gradcam++-rollout': {},
};

/** Architectures whose pytorch-grad-cam layer is followed by global average pooling and one linear layer (CAM's head). */
const GAP_LINEAR = new Set(['resnet18', 'resnet50', 'mobilenet_v2', 'efficientnet_b0', 'regnet_y_400mf']);

/** Every map is finite, the upsampled map lies in [0, 1] (all zeros exactly when flagged flat). */
function checkMap(r: CamResult | SaliencyResult, h: number, w: number, size: number): void {
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

it('every registered method has a row in the ONNX method table', () => {
  expect(Object.keys(RUNS).sort()).toEqual([...METHOD_NAMES].sort());
});

describe.each(ARCHS)('%s explains with every method', (arch) => {
  const ref = reference(arch);
  const x = ref.get('input');
  const m = loadFixture(`${arch}.f64.onnx`, { dtype: 'float64' });
  const [, , h, w] = ref.get('activation').shape as [number, number, number, number];
  const size = x.shape[2]!;

  it.each(METHOD_NAMES)('%s', (method) => {
    const opts: ExplainOptions = { layer: ref.layer, target: ref.cls, trace: true, ...RUNS[method] };
    const why = whyNotApplicable(methodDescriptor(method), m);
    if (why !== null) {
      // Only the rollouts refuse a model, and only one without attention.
      expect(methodDescriptor(method).appliesTo).toBe('transformer');
      expect(arch).not.toBe('vit');
      expect(() => explain(method, m, x, opts)).toThrow(`explain: ${why}`);
      return;
    }
    if (methodDescriptor(method).appliesTo === 'transformer') {
      expect(arch).toBe('vit');
      const r = explain(method, m, x, { target: ref.cls, ...RUNS[method] });
      expect(r.classes).toEqual([ref.cls]);
      expect(r.scores[0]).toBeCloseTo(ref.get('logits_f64').data[ref.cls]!, 9);
      checkMap(r, h, w, size); // the class token's row of R on the patch grid
      return;
    }
    if (method === 'cam' && !GAP_LINEAR.has(arch)) {
      // One line naming what follows the layer instead of GAP + linear.
      expect(() => explain(method, m, x, opts)).toThrow(/^cam: CAM needs global average pooling then one linear layer after '[^']+'; the graph has \S[^\n]*\. Use gradcam/);
      return;
    }
    const r = explain(method, m, x, opts);
    expect(r.classes).toEqual([ref.cls]);
    expect(r.scores[0]).toBeCloseTo(ref.get('logits_f64').data[ref.cls]!, 9);
    if (!('layer' in r)) {
      checkMap(r, size, size, size); // SmoothGrad: an input saliency map
      expect(r.flat[0]).toBe(false);
      return;
    }
    expect(r.layer).toBe(ref.layer);
    checkMap(r, h, w, size);
    // Y = exp(S − S0): its first derivative at the clean input is dS/dA itself.
    if (method === 'gradcam++-exact') expect(relError(r.trace!.d1!.data, ref.get('gradient').data)).toBeLessThan(1e-9);
    // A flat map has a reason: no positive evidence before the ReLU (ConvNeXt's exact weights,
    // Layer-CAM on the ViT's LayerNorm output, where Σ_k ReLU(g_k)·A_k < 0 everywhere).
    if (r.flat[0]) expect(Math.max(...r.trace!.rawMap.data)).toBeLessThanOrEqual(0);
    if (method === 'cam') {
      // On a GAP + linear head ∂S/∂A_k,ij = W[c,k]/(h·w): CAM's weights are Grad-CAM's times h·w.
      const g = gradCam(m, x, { layer: ref.layer, target: ref.cls });
      expect(relError(r.weights!.data, g.weights!.data.map((v) => v * h * w))).toBeLessThan(1e-9);
    }
  });

  it('explains at its default layer, the last feature map before global pooling', () => {
    const layer = defaultLayer(m, x);
    const r = METHODS.gradcam(m, x, { target: ref.cls });
    expect(r.layer).toBe(layer);
    expect(r.map.ndim).toBe(3);
    expect(r.map.shape[1]! * r.map.shape[2]!).toBeGreaterThan(1);
  });
});

describe('token layers', () => {
  const ref = reference('vit');
  const m = loadFixture('vit.f64.onnx', { dtype: 'float64' });
  const x = ref.get('input');

  it('a token layer with a patch grid is explained on its grid without spelling :grid', () => {
    const layer = ref.layer.replace(/:grid$/, '');
    expect(layer).toBe('encoder.layers.encoder_layer_1.ln_1');
    for (const method of ['gradcam', 'gradcam++', 'layercam'] as const) {
      const plain = METHODS[method](m, x, { layer, target: ref.cls });
      const grid = METHODS[method](m, x, { layer: ref.layer, target: ref.cls });
      expect(plain.layer).toBe(layer);
      expect(Array.from(plain.map.data), method).toEqual(Array.from(grid.map.data));
    }
    // The ONNX tensor name works the same way.
    const tensor = m.get(layer) as { tensorName?: string };
    const byTensor = METHODS.gradcam(m, x, { layer: tensor.tensorName!, target: ref.cls });
    expect(relError(byTensor.weights!.data, ref.get('gradcam').data)).toBeLessThan(1e-9);
  });

  it('a token layer without a grid (read only through the class token) still needs a feature map', () => {
    const last = m.layers().filter((l) => l.shape.length === 3 && l.modulePath.startsWith('encoder.ln')).at(-1)!;
    expect(m.camLayer(last.name)).toBe(last.name);
    expect(() => METHODS.gradcam(m, x, { layer: last.name, target: ref.cls })).toThrow(/outputs \[1,\d+,\d+\]; CAM needs a 4-D \[N,C,H,W\] feature map/);
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
