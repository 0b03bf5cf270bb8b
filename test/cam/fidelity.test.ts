import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ablationCam } from '../../src/cam/ablationcam.js';
import { eigenCam } from '../../src/cam/eigencam.js';
import { gradCam, hiResCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { explain } from '../../src/cam/methods.js';
import { firstPrincipalProjection } from '../../src/cam/pca.js';
import type { CamResult } from '../../src/cam/result.js';
import { scoreCam, type ScoreCamMasks } from '../../src/cam/scorecam.js';
import { smoothGrad, smoothGradCamPlusPlus } from '../../src/cam/smooth.js';
import { prepare } from '../../src/cam/gradients.js';
import { loadModel } from '../../src/io/model.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { resizeBilinear } from '../../src/tensor/resize.js';
import { cast, tensor } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { loadFixture, reference, relError } from '../onnx/support/fixtures.js';
import { expectClose } from '../support/check.js';

// Written by scripts/fidelity-reference.py: PyTorch float64 re-implementations of pytorch-grad-cam's
// and torchcam's formulas, on the small CNN of scripts/cam-reference.py and the reduced ResNet-18.
const dir = new URL('../fixtures/cam/', import.meta.url);
const ref = parseSafetensors(new Uint8Array(readFileSync(new URL('fidelity.ref.safetensors', dir))));
const get = (name: string): Tensor => {
  const t = ref.tensors.get(name);
  if (t === undefined) throw new Error(`no reference tensor '${name}'`);
  return t;
};
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as { input: number[]; class: number };
const small = loadModel(JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8')), new Uint8Array(readFileSync(new URL('model.safetensors', dir)))).module;
const x = tensor(expected.input, { shape: [1, 3, 16, 16] });
const at5 = { layer: 'features.5', target: expected.class };

describe('given noise reproduces another run sample for sample (PyTorch, the same three noise tensors)', () => {
  const noise = get('small.noise');
  const eps = [0, 1, 2].map((m) => tensor(Array.from(noise.data.subarray(m * 768, (m + 1) * 768)), { shape: [1, 3, 16, 16] }));

  it('Smooth Grad-CAM++: D1, D2, D3, the weights and the map', () => {
    for (const noiseTensors of [eps, (m: number) => eps[m]!] as const) {
      const r = smoothGradCamPlusPlus(small, x, { ...at5, noiseTensors, samples: 3, trace: true });
      const t = r.trace!;
      expectClose(t.d1.data, get('small.sgcpp.d1').data, 1e-14, 1e-10);
      expectClose(t.d2!.data, get('small.sgcpp.d2').data, 1e-16, 1e-10);
      expectClose(t.d3!.data, get('small.sgcpp.d3').data, 1e-18, 1e-10);
      expectClose(r.weights!.data, get('small.sgcpp.weights').data, 1e-14, 1e-10);
      expectClose(r.map.data, get('small.sgcpp.map').data, 1e-14, 1e-10);
    }
  });

  it("torchcam's SmoothGradCAMpp with the same noise: the torchcam preset", () => {
    const r = smoothGradCamPlusPlus(small, x, { ...at5, noiseTensors: eps, preset: 'torchcam' });
    expectClose(r.weights!.data, get('small.sgcpp-torchcam.weights').data, 1e-14, 1e-10);
    expectClose(r.map.data, get('small.sgcpp-torchcam.map').data, 1e-14, 1e-10);
  });

  it('SmoothGrad: the mean input gradient', () => {
    const r = smoothGrad(small, x, { target: expected.class, noiseTensors: eps });
    expectClose(r.saliency.data, get('small.smoothgrad').data, 1e-14, 1e-10);
  });
});

describe('new methods and options against PyTorch (small CNN, layer features.5)', () => {
  it("torchcam's Grad-CAM++ as written: α = g² / (2g² + Σ_ab A·g³ + 1e-8)", () => {
    const r = gradCamPlusPlus(small, x, { ...at5, preset: 'torchcam-as-written' });
    expectClose(r.weights!.data, get('small.gradcampp-torchcam-as-written.weights').data, 1e-14, 1e-9);
    expectClose(r.map.data, get('small.gradcampp-torchcam-as-written.map').data, 1e-14, 1e-9);
  });

  it('HiResCAM, Ablation-CAM (weights and drops), EigenCAM (projection, sign convention)', () => {
    expectClose(hiResCam(small, x, at5).map.data, get('small.hirescam.map').data, 1e-14, 1e-10);
    const ab = ablationCam(small, x, { ...at5, trace: true, batchSize: 3 });
    expectClose(ab.weights!.data, get('small.ablationcam.weights').data, 1e-14, 1e-10);
    expectClose(ab.trace!.channelScores!.data, get('small.ablationcam.drops').data, 1e-14, 1e-10);
    expectClose(ab.map.data, get('small.ablationcam.map').data, 1e-14, 1e-10);
    const a = prepare(small, x, at5).split.activation;
    expectClose(firstPrincipalProjection(a).data, get('small.eigencam.projection').data, 1e-12, 1e-10);
    const e = eigenCam(small, x, { ...at5, trace: true });
    expectClose(e.trace!.rawMap.data, get('small.eigencam.projection').data, 1e-12, 1e-10);
  });

  it('eigenSmooth: the first principal component of the w_k A_k (Grad-CAM weights)', () => {
    expectClose(gradCam(small, x, { ...at5, eigenSmooth: true }).map.data, get('small.gradcam-eigensmooth.map').data, 1e-12, 1e-10);
  });

  it('several layers: the mean of the per-layer normalized maps, normalized again', () => {
    const r = explain('gradcam', small, x, { layer: ['features.2', 'features.5'], target: expected.class }) as CamResult;
    expectClose(r.map.data, get('small.gradcam-layers.mean').data, 1e-13, 1e-10);
    expectClose(r.upsampled.data, get('small.gradcam-layers.upsampled').data, 1e-12, 1e-10);
    expect(r.layer).toBe('features.2+features.5');
    expect(r.parts!.map((p) => p.label)).toEqual(['features.2', 'features.5']);
  });

  it('augSmooth: flips and ×0.9, ×1, ×1.1 of the input, mapped back and averaged', () => {
    const r = explain('gradcam', small, x, { ...at5, augSmooth: true }) as CamResult;
    expectClose(r.map.data, get('small.gradcam-aug.mean').data, 1e-13, 1e-10);
    expectClose(r.upsampled.data, get('small.gradcam-aug.upsampled').data, 1e-12, 1e-10);
    expect(r.parts!.map((p) => p.label)).toEqual(['×0.9', '×1', '×1.1', 'flip, ×0.9', 'flip, ×1', 'flip, ×1.1']);
  });
});

describe('bilinear resize against F.interpolate, align_corners False and True', () => {
  it.each([[11, 4], [3, 9], [1, 1], [5, 7]])('%d x %d', (h, w) => {
    for (const ac of [false, true]) {
      expectClose(resizeBilinear(get('resize.input'), [h, w], ac).data, get(`resize.${h}x${w}.${ac}`).data, 1e-14, 1e-12);
    }
  });
});

describe('the reduced torchvision ResNet-18 (layer4.1), against PyTorch', () => {
  const r18 = reference('resnet18');
  const model = loadFixture('resnet18.f64.onnx', { dtype: 'float64' });
  const xr = cast(r18.get('input'), 'float64'); // stored as float32; ×0.9 must happen in float64, as in PyTorch
  const opts = { layer: 'layer4.1', target: r18.cls };

  it.each(['paper', 'torchcam', 'pytorch-grad-cam'] as const)('Score-CAM with %s masks: gains f_c(x⊙M_k) − f_c(x), weights, map', (masks: ScoreCamMasks) => {
    const r = scoreCam(model, xr, { ...opts, masks, trace: true });
    expect(relError(r.trace!.channelScores!.data, get(`resnet.scorecam.${masks}.gains`).data)).toBeLessThan(1e-9);
    expect(relError(r.weights!.data, get(`resnet.scorecam.${masks}.weights`).data)).toBeLessThan(1e-9);
    expect(relError(r.upsampled.data, get(`resnet.scorecam.${masks}.upsampled`).data)).toBeLessThan(1e-9);
    // The preset of the same name is the same recipe.
    const p = explain('scorecam', model, xr, { ...opts, preset: masks });
    expect(Array.from(p.upsampled.data)).toEqual(Array.from(r.upsampled.data));
  });

  it('the align_corners choice alone moves the normalized Score-CAM map visibly', () => {
    const paper = get('resnet.scorecam.paper.upsampled').data;
    const pgc = get('resnet.scorecam.pytorch-grad-cam.upsampled').data;
    const diff = Math.max(...Array.from(paper, (v, i) => Math.abs(v - pgc[i]!)));
    expect(diff).toBeGreaterThan(0.05);
    expect(Number(ref.metadata['resnet.scorecam.maxdiff.paper.pytorch-grad-cam'])).toBeCloseTo(diff, 12);
  });

  it('HiResCAM, Ablation-CAM and EigenCAM', () => {
    expect(relError(hiResCam(model, xr, opts).upsampled.data, get('resnet.hirescam.upsampled').data)).toBeLessThan(1e-9);
    const ab = ablationCam(model, xr, opts);
    expect(relError(ab.weights!.data, get('resnet.ablationcam.weights').data)).toBeLessThan(1e-9);
    expect(relError(ab.upsampled.data, get('resnet.ablationcam.upsampled').data)).toBeLessThan(1e-9);
    expect(relError(eigenCam(model, xr, opts).upsampled.data, get('resnet.eigencam.upsampled').data)).toBeLessThan(1e-9);
  });

  it('Grad-CAM at layer3.0 and layer4.1 together, and with augSmooth', () => {
    const layers = explain('gradcam', model, xr, { layer: ['layer3.0', 'layer4.1'], target: r18.cls });
    expect(relError(layers.upsampled.data, get('resnet.gradcam-layers.upsampled').data)).toBeLessThan(1e-9);
    const aug = explain('gradcam', model, xr, { ...opts, augSmooth: true });
    expect(relError(aug.upsampled.data, get('resnet.gradcam-aug.upsampled').data)).toBeLessThan(1e-9);
  });
});
