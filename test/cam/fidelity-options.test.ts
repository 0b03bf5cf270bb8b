import { describe, expect, it } from 'vitest';
import { ablationCam } from '../../src/cam/ablationcam.js';
import { flipWidth } from '../../src/cam/combine.js';
import { eigenCam } from '../../src/cam/eigencam.js';
import { cam, gradCam, hiResCam, layerCam } from '../../src/cam/gradcam.js';
import { explain, METHOD_DESCRIPTORS } from '../../src/cam/methods.js';
import { upsampleMaps } from '../../src/cam/postprocess.js';
import type { CamResult } from '../../src/cam/result.js';
import { scoreCam, scoreCamMasks } from '../../src/cam/scorecam.js';
import { smoothGrad, smoothGradCamPlusPlus } from '../../src/cam/smooth.js';
import { clone, tensor, zeros } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf, expectClose } from '../support/check.js';
import { gapLinear, image, piecewiseLinearHead, positive, smallCnn } from './helpers.js';

/** gapLinear(2 channels, 2 classes) with W_fc = [[1, −2], [0, 0]] and zero bias, so CAM's w for class 0 is (1, −2). */
function handHead(): ReturnType<typeof gapLinear> {
  const model = gapLinear(2, 2, 1);
  const params = Object.fromEntries(model.get('head.1').namedParameters());
  params.weight!.data.set([1, -2, 0, 0]);
  params.bias!.data.fill(0);
  return model;
}

describe('CAM keeps the raw map by default (Zhou et al. 2016, torchcam)', () => {
  // A_0 = [[1, 0], [0, 1]], A_1 = [[0, 1], [0, 0]]: Σ w A = [[1, −2], [0, 1]].
  const a = tensor([1, 0, 0, 1, 0, 1, 0, 0], { shape: [1, 2, 2, 2] });

  it('map = Σ_k w_k A_k with its negative part, min-max normalized after upsampling', () => {
    const r = cam(handHead(), a, { layer: 'features.0', target: 0, trace: true });
    expect(Array.from(r.map.data)).toEqual([1, -2, 0, 1]);
    expect(Array.from(r.trace!.rawMap.data)).toEqual([1, -2, 0, 1]);
    const up = upsampleMaps(tensor([1, -2, 0, 1], { shape: [1, 2, 2] }), [2, 2]);
    expectClose(r.upsampled.data, Array.from(up.data, (v) => (v + 2) / 3), 1e-15, 1e-15);
    expect(r.upsampled.data[1]).toBe(0);
  });

  it('relu: true clips it at 0 (Grad-CAM\'s convention), through the registry too', () => {
    const r = explain('cam', handHead(), a, { layer: 'features.0', target: 0, relu: true }) as CamResult;
    expect(Array.from(r.map.data)).toEqual([1, 0, 0, 1]);
    expect(Array.from(r.upsampled.data)).toEqual([1, 0, 0, 1]);
  });
});

describe('per-position weights and the new methods by hand', () => {
  const model = piecewiseLinearHead(3, 2, 4);
  const a = positive([1, 3, 4, 4], 5);
  const opts = { layer: 'features.0', target: 1, trace: true } as const;

  it('Layer-CAM carries ReLU(g), HiResCAM g; HiResCAM = ReLU(Σ g ⊙ A), and Grad-CAM is its spatial mean', () => {
    const l = layerCam(model, a, opts);
    const h = hiResCam(model, a, opts);
    const g = h.trace!.d1;
    expect(Array.from(l.positionWeights!.data)).toEqual(Array.from(g.data, (v) => Math.max(v, 0)));
    expect(h.positionWeights).toBe(g);
    const raw = Array.from({ length: 16 }, (_, p) => [0, 1, 2].reduce((s, k) => s + g.data[k * 16 + p]! * a.data[k * 16 + p]!, 0));
    expectClose(h.map.data, raw.map((v) => Math.max(v, 0)), 1e-15, 1e-12);
    expect(gradCam(model, a, opts).positionWeights).toBeUndefined();
  });

  it('Ablation-CAM: w_k = (S − S_k)/S with S_k the score with channel k zeroed; batches do not matter', () => {
    const r = ablationCam(model, a, { ...opts, batchSize: 1 });
    const s = r.scores[0]!;
    for (let k = 0; k < 3; k++) {
      const ablated = clone(a);
      ablated.data.fill(0, k * 16, (k + 1) * 16);
      const sk = gradCam(model, ablated, opts).scores[0]!;
      expectClose([r.trace!.channelScores!.data[k]!, r.weights!.data[k]!], [s - sk, (s - sk) / s], 1e-14, 1e-12);
    }
    expect(Array.from(ablationCam(model, a, { ...opts, batchSize: 2 }).weights!.data)).toEqual(Array.from(r.weights!.data));
    // Two images: each its own ablations (a batch gives the per-image results).
    const two = zeros([2, 3, 4, 4]);
    two.data.set(a.data);
    two.data.set(positive([1, 3, 4, 4], 6).data, 48);
    const both = ablationCam(model, two, { ...opts, target: [1, 1] });
    expect(Array.from(both.weights!.data.subarray(0, 3))).toEqual(Array.from(r.weights!.data));
  });

  it('Ablation-CAM refuses S = 0 in one line', () => {
    const m = gapLinear(2, 2, 3);
    const params = Object.fromEntries(m.get('head.1').namedParameters());
    params.weight!.data.fill(0);
    params.bias!.data.fill(0);
    expect(errorOf(() => ablationCam(m, positive([1, 2, 2, 2], 1), { layer: 'features.0', target: 0 })))
      .toBe('ablationcam: the explained output of image 0 is 0, so w_k = (S − S_k)/S is undefined; explain another class or output');
    expect(errorOf(() => ablationCam(m, positive([1, 2, 2, 2], 1), { batchSize: 0 }))).toBe('ablationcam: batchSize must be a positive integer, got 0');
  });

  it('EigenCAM ignores the class: the same map for every target', () => {
    const [m0, m1] = [0, 1].map((target) => eigenCam(model, a, { layer: 'features.0', target }).upsampled.data);
    expect(Array.from(m0!)).toEqual(Array.from(m1!));
    expect(METHOD_DESCRIPTORS.find((d) => d.name === 'eigencam')!.accepts).not.toContain('eigenSmooth');
  });
});

describe('Score-CAM mask recipes by hand', () => {
  // One channel [[0, 2], [4, 6]] upsampled to 3x3.
  const a = tensor([0, 2, 4, 6], { shape: [1, 2, 2] });

  it('pytorch-grad-cam aligns corners: the mask reaches 0 and 1 at the corners and is linear between', () => {
    const m = scoreCamMasks(a, [3, 3], 'pytorch-grad-cam');
    expectClose(m.data, [0, 1, 2, 2, 3, 4, 4, 5, 6].map((v) => v / (6 + 1e-8)), 1e-15, 1e-15);
  });

  it('paper and torchcam upsample with half-pixel centres: for upsampling they differ only by torchcam\'s ε', () => {
    const paper = scoreCamMasks(a, [3, 3], 'paper');
    const torchcam = scoreCamMasks(a, [3, 3], 'torchcam');
    const up = upsampleMaps(a, [3, 3]).data;
    expectClose(paper.data, Array.from(up, (v) => v / 6), 1e-15, 1e-15);
    expectClose(torchcam.data, Array.from(up, (v) => v / (6 + 1e-8)), 1e-15, 1e-15);
    expect(Array.from(paper.data)).not.toEqual(Array.from(scoreCamMasks(a, [3, 3], 'pytorch-grad-cam').data));
    expect(errorOf(() => scoreCamMasks(a, [3, 3], 'nope' as never))).toBe("scorecam: masks must be 'paper', 'torchcam' or 'pytorch-grad-cam', got 'nope'");
  });

  it('the trace holds f_c(x ⊙ M_k) − f_c(x), and the weights are their softmax', () => {
    const model = smallCnn(2);
    const x = image([1, 3, 8, 6], 3);
    const r = scoreCam(model, x, { trace: true, preset: 'pytorch-grad-cam' });
    const gains = Array.from(r.trace!.channelScores!.data);
    const z = gains.reduce((s, v) => s + Math.exp(v), 0);
    expectClose(r.weights!.data, gains.map((v) => Math.exp(v) / z), 1e-15, 1e-12);
    expect(errorOf(() => scoreCam(model, x, { preset: 'official' as never }))).toBe("scorecam: unknown preset 'official'; known: camlab, paper, torchcam, pytorch-grad-cam");
  });
});

describe('given noise: errors that name what is wrong', () => {
  const model = smallCnn(1);
  const x = image([1, 3, 8, 6], 2);
  const eps = [zeros([1, 3, 8, 6]), zeros([1, 3, 8, 6])];

  it('zero noise tensors give the clean gradient; samples defaults to the list length', () => {
    const r = smoothGrad(model, x, { noiseTensors: eps });
    const clean = smoothGrad(model, x, { samples: 1, noise: 0 });
    expectClose(r.saliency.data, clean.saliency.data, 1e-15, 1e-12);
  });

  it('a wrong count, a wrong shape, or noise options beside the tensors', () => {
    expect(errorOf(() => smoothGrad(model, x, { noiseTensors: eps, samples: 3 }))).toBe('smoothgrad: samples is 3 but noiseTensors holds 2 tensors');
    expect(errorOf(() => smoothGradCamPlusPlus(model, x, { noiseTensors: [zeros([1, 3, 6, 8])] })))
      .toBe('smooth gradcam++: noise tensor 0 has shape [1,3,6,8], the input [1,3,8,6]');
    expect(errorOf(() => smoothGrad(model, x, { noiseTensors: eps, seed: 1, noise: 0.2 })))
      .toBe('smoothgrad: noiseTensors replaces noise, seed: give the noise or how to draw it, not both');
    const calls: number[] = [];
    smoothGrad(model, x, { noiseTensors: (m) => (calls.push(m), eps[0]!), samples: 3 });
    expect(calls).toEqual([0, 1, 2]);
  });
});

describe('several layers and augSmooth, for every CAM method', () => {
  const model = smallCnn(4);
  const x = image([2, 3, 8, 6], 5);

  it('every CAM method accepts them; a single-element layer list is that layer', () => {
    // Rollouts read every block's attention, not a layer: they take neither.
    for (const d of METHOD_DESCRIPTORS.filter((m) => m.result === 'cam' && m.appliesTo !== 'transformer')) {
      expect(d.accepts, d.name).toEqual(expect.arrayContaining(['layer', 'augSmooth']));
      // CAM needs the GAP + linear head right after its layer: one layer only there.
      const layers = d.name === 'cam' ? ['features.5'] : ['features.2', 'features.5'];
      const one = explain(d.name, model, x, { layer: layers[0]!, samples: 2 }) as CamResult;
      const many = explain(d.name, model, x, { layer: layers, samples: 2 }) as CamResult;
      expect(many.parts!.map((p) => p.result.layer), d.name).toEqual(layers);
      expect(Array.from(many.parts![0]!.result.upsampled.data), d.name).toEqual(Array.from(one.upsampled.data));
      const aug = explain(d.name, model, x, { layer: 'features.5', augSmooth: { flip: true, factors: [1] }, samples: 2 }) as CamResult;
      expect(aug.parts!.length, d.name).toBe(2);
      for (const v of aug.upsampled.data) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('mean of normalized maps by hand; the augmented run of a flipped copy is mapped back', () => {
    const r = explain('gradcam', model, x, { layer: ['features.2', 'features.5'] }) as CamResult;
    const [p, q] = r.parts!.map((part) => part.result.upsampled.data);
    expectClose(r.map.data, Array.from(p!, (v, i) => (v + q![i]!) / 2), 1e-15, 1e-15);
    const aug = explain('gradcam', model, x, { augSmooth: { factors: [1] } }) as CamResult;
    const flipped = gradCam(model, flipWidth(x), { target: aug.classes });
    expectClose(aug.map.data, Array.from(aug.parts![0]!.result.upsampled.data, (v, i) => (v + flipWidth(flipped.upsampled).data[i]!) / 2), 1e-15, 1e-15);
  });

  it('errors: an empty or repeated layer list, bad factors', () => {
    expect(errorOf(() => explain('gradcam', model, x, { layer: [] }))).toBe('cam: layer: an empty list of layers; name at least one');
    expect(errorOf(() => explain('gradcam', model, x, { layer: ['features.2', 'features.2'] }))).toBe('cam: layer: the list features.2, features.2 names a layer twice');
    expect(errorOf(() => explain('gradcam', model, x, { augSmooth: { factors: [0] } }))).toBe('cam: augSmooth: factors must be positive numbers, got [0]');
  });

  it('flipWidth mirrors the last axis', () => {
    const t: Tensor = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
    expect(Array.from(flipWidth(t).data)).toEqual([3, 2, 1, 6, 5, 4]);
  });
});
