/**
 * Capturing attention and its derivatives from a ViT, the exact diagonals against finite
 * differences and PyTorch, the smoothed terms, and the rollout methods end to end.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { noGrad } from '../../src/autodiff/mode.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { sub } from '../../src/autodiff/ops/elementwise.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { exp } from '../../src/autodiff/ops/unary.js';
import { attentionDiagonals, attentionGradients, attentionLayers, captureAttention, reachingRows } from '../../src/cam/rollout/capture.js';
import {
  attentionRollout, gradCamPlusPlusRollout, gradientRollout, smoothAttentionRollout, smoothGradCamPlusPlusRollout, smoothGradientRollout,
} from '../../src/cam/rollout/methods.js';
import { noisyCopy } from '../../src/cam/noise.js';
import { rolloutMap, rolloutMatrix } from '../../src/cam/rollout/rollout.js';
import { attentionTerms } from '../../src/cam/rollout/terms.js';
import { targetOutputs, type ResolvedTarget } from '../../src/cam/target.js';
import type { Module } from '../../src/nn/module.js';
import { clone, randn } from '../../src/tensor/create.js';
import { add, div } from '../../src/tensor/elementwise.js';
import { relu } from '../../src/tensor/unary.js';
import { slice } from '../../src/tensor/movement.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { values } from '../support/ad.js';
import { errorOf, expectClose, expectTensorClose } from '../support/check.js';
import { randomVit, tinyVit, tinyVitIo } from '../support/vit.js';
import { smallCnn } from './helpers.js';

const LAYERS = ['encoder.layers.encoder_layer_0.self_attention.attn', 'encoder.layers.encoder_layer_1.self_attention.attn'];

/**
 * ∂Y/∂A of Y = Σ_n exp(S_n − S₀_n) with the layer's attention replaced by `a` (a fresh leaf), by
 * one first-order backward pass; S₀ the clean scores.
 */
function firstDerivativeAt(model: Module, x: Tensor, layer: string, a: Tensor, targets: readonly ResolvedTarget[], s0: Tensor): Tensor {
  const leaf = requiresGrad(clone(a));
  const h = model.get(layer).registerForwardHook(() => leaf);
  try {
    const y = sum(exp(sub(targetOutputs(model.call(x), targets), s0)));
    return grad(y, leaf)[0]!;
  } finally {
    h.remove();
  }
}

describe('capturing attention and its derivatives', () => {
  it('finds the attention taps in block order, and fails on a model without any', () => {
    expect(attentionLayers(tinyVit())).toEqual(LAYERS);
    expect(errorOf(() => attentionLayers(smallCnn(1)))).toMatch(/rollout: the model \(Sequential\) has no attention layers; rollout needs a transformer/);
  });

  it('∂S/∂A_l are total derivatives (through later blocks) and match PyTorch; captures do not keep the graph', () => {
    const io = tinyVitIo();
    const g = attentionGradients(tinyVit(), io.get('x'), io.classes);
    g.grads.forEach((t, l) => expectTensorClose(t, io.get(`grad_attn_${l}`).shape, io.get(`grad_attn_${l}`).data, 1e-10, 1e-10));
    expect(g.attentions.every((a) => a.node === null && !a.requiresGrad)).toBe(true);
    expect(g.targets.map((t) => t.classIndex)).toEqual(io.classes);
    const c = captureAttention(tinyVit(), io.get('x'));
    c.attentions.forEach((a, l) => expectTensorClose(a, io.get(`attn_${l}`).shape, io.get(`attn_${l}`).data, 1e-10, 1e-10));
  });

  it('exact diagonals ∂²Y/∂A², ∂³Y/∂A³ equal central differences of the autodiff first derivative, every element of both blocks', () => {
    const model = randomVit(3);
    const x = randn([1, 3, 8, 8], { rng: 4 });
    const { attentions, targets, output } = attentionGradients(model, x, 'predicted');
    const s0 = noGrad(() => targetOutputs(output, targets));
    const step = 1e-4;
    LAYERS.forEach((layer, l) => {
      const exact = attentionDiagonals(model, x, layer, targets, { batchSize: 17 });
      const a = attentionGradients(model, x, 'predicted', targets).attentions[l]!;
      expectClose(values(a), values(attentions[l]!), 0, 0);
      const g0 = firstDerivativeAt(model, x, layer, a, targets, s0);
      expectClose(exact.d1.data, g0.data, 1e-15, 1e-12);
      const fd2: number[] = [];
      const fd3: number[] = [];
      for (let e = 0; e < a.size; e++) {
        const plus = clone(a);
        plus.data[e] = plus.data[e]! + step;
        const minus = clone(a);
        minus.data[e] = minus.data[e]! - step;
        const gp = firstDerivativeAt(model, x, layer, plus, targets, s0).data[e]!;
        const gm = firstDerivativeAt(model, x, layer, minus, targets, s0).data[e]!;
        fd2.push((gp - gm) / (2 * step));
        fd3.push((gp - 2 * g0.data[e]! + gm) / (step * step));
      }
      expectClose(exact.d2.data, fd2, 1e-7, 1e-6);
      expectClose(exact.d3.data, fd3, 1e-5, 1e-4);
      expect(Math.max(...values(exact.d3).map(Math.abs))).toBeGreaterThan(1e-3); // the check is not vacuous
    });
  });

  it('exact diagonals equal the PyTorch reference (block 1 of both images, block 0 of image 0)', () => {
    const io = tinyVitIo();
    const model = tinyVit();
    const x = io.get('x');
    const { targets } = attentionGradients(model, x, io.classes);
    const last = attentionDiagonals(model, x, LAYERS[1]!, targets, { batchSize: 578 });
    expectTensorClose(last.d2, io.get('d2_1').shape, io.get('d2_1').data, 1e-10, 1e-10);
    expectTensorClose(last.d3, io.get('d3_1').shape, io.get('d3_1').data, 1e-10, 1e-10);
    const first = attentionDiagonals(model, slice(x, [[0, 1]]), LAYERS[0]!, targets.slice(0, 1), { batchSize: 578 });
    expectClose(first.d2.data, values(io.get('d2_0')).slice(0, 578), 1e-10, 1e-10);
    expectClose(first.d3.data, values(io.get('d3_0')).slice(0, 578), 1e-10, 1e-10);
  });
});

describe('smoothed terms (D1, D2, D3 over noisy inputs, the clean attention)', () => {
  const model = randomVit(5);
  const x = randn([2, 3, 8, 8], { rng: 6 });

  it('closed form: the means of g, g², g³ over the same seeded noisy copies, classes fixed on the clean image', () => {
    const smooth = { samples: 3, noise: 0.2, seed: 7 };
    const t = attentionTerms(model, x, { target: [0, 2], smooth });
    const clean = attentionGradients(model, x, [0, 2]);
    const rng = new Rng(7);
    const grads = Array.from({ length: 3 }, () => attentionGradients(model, noisyCopy(x, 0.2, 'range', rng), 'predicted', clean.targets).grads);
    LAYERS.forEach((_, l) => {
      const mean = (f: (g: Tensor) => number[]): number[] => f(grads[0]![l]!).map((v, i) => (v + f(grads[1]![l]!)[i]! + f(grads[2]![l]!)[i]!) / 3);
      expectClose(t.terms[l]!.d1.data, mean((g) => values(g)), 1e-15, 1e-12);
      expectClose(t.terms[l]!.d2.data, mean((g) => values(g).map((v) => v * v)), 1e-15, 1e-12);
      expectClose(t.terms[l]!.d3.data, mean((g) => values(g).map((v) => v ** 3)), 1e-15, 1e-12);
      expect(values(t.attentions[l]!)).toEqual(values(clean.attentions[l]!));
    });
    expect(t.derivatives).toBe('closed form (g, g², g³), means over 3 noisy samples');
  });

  it('exact: the means of the exact diagonals at the same noisy copies', () => {
    const one = slice(x, [[0, 1]]);
    const t = attentionTerms(model, one, { target: 1, exact: { batchSize: 50 }, smooth: { samples: 2, noise: 0.1, seed: 3 } });
    const { targets } = attentionGradients(model, one, 1);
    const rng = new Rng(3);
    const copies = [noisyCopy(one, 0.1, 'range', rng), noisyCopy(one, 0.1, 'range', rng)];
    LAYERS.forEach((layer, l) => {
      const [p, q] = copies.map((c) => attentionDiagonals(model, c, layer, targets));
      expectClose(t.terms[l]!.d3.data, div(add(p!.d3, q!.d3), 2).data, 1e-14, 1e-12);
      expectClose(t.terms[l]!.d2.data, div(add(p!.d2, q!.d2), 2).data, 1e-14, 1e-12);
    });
    expect(t.derivatives).toBe('exact diagonals of Y = exp(S − S0), means over 2 noisy samples');
  });
});

describe('rollout methods', () => {
  const io = tinyVitIo();
  const x = io.get('x');
  const mapOf = (name: string): number[] => values(relu(rolloutMap(io.get(name), [4, 4])));

  it('attention rollout and gradient rollout of the tiny ViT equal the PyTorch maps; results are CAM-shaped', () => {
    const r = attentionRollout(tinyVit(), x, { trace: true });
    expectClose(r.map.data, mapOf('rollout_mean-0'), 1e-10, 1e-10);
    expect([...r.upsampled.shape]).toEqual([2, 16, 16]);
    expect(Math.min(...values(r.upsampled))).toBe(0);
    expect(Math.max(...values(r.upsampled))).toBe(1);
    expect(r.layers).toEqual(LAYERS);
    expect(r.rolloutTrace!.blocks.length).toBe(2);
    expect(r.weights).toBeNull();
    const g = gradientRollout(tinyVit(), x, { target: io.classes });
    expectClose(g.map.data, mapOf('gradient_rollout'), 1e-10, 1e-10);
    expect(g.classes).toEqual(io.classes);
    expectClose(g.scores, [io.get('logits').data[1]!, io.get('logits').data[5]!], 1e-10, 1e-10);
    expect(g.rolloutTrace).toBeUndefined();
    const c = gradCamPlusPlusRollout(tinyVit(), x, { target: io.classes, trace: true });
    expectClose(c.map.data, mapOf('gradcampp_rollout_closed'), 1e-10, 1e-10);
    expect(c.rolloutTrace!.alpha!.length).toBe(2);
    expect(c.method).toBe('gradcam++ rollout');
  });

  it('smoothed methods: one sample without noise is the plain method; the smoothed attention rollout is the mean R over the noisy copies', () => {
    const model = randomVit(8);
    const img = randn([1, 3, 8, 8], { rng: 9 });
    const none = { samples: 1, noise: 0 };
    expect(values(smoothGradientRollout(model, img, none).map)).toEqual(values(gradientRollout(model, img).map));
    expect(values(smoothGradCamPlusPlusRollout(model, img, none).map)).toEqual(values(gradCamPlusPlusRollout(model, img).map));
    expect(values(smoothAttentionRollout(model, img, none).map)).toEqual(values(attentionRollout(model, img).map));
    const s = smoothAttentionRollout(model, img, { samples: 3, noise: 0.3, seed: 2, fusion: 'max' });
    const rng = new Rng(2);
    const rs = Array.from({ length: 3 }, () => rolloutMatrix(captureAttention(model, noisyCopy(img, 0.3, 'range', rng)).attentions, { fusion: 'max' }).rollout);
    expectClose(s.rollout.data, div(add(add(rs[0]!, rs[1]!), rs[2]!), 3).data, 1e-15, 1e-12);
    const sg = smoothGradientRollout(model, img, { samples: 3, noise: 0.3, seed: 2 });
    expect(values(sg.map)).not.toEqual(values(gradientRollout(model, img).map));
    expect(sg.method).toBe('smooth gradient rollout');
  });

  it('exact Grad-CAM++ rollout differs from the closed form on a ViT (softmax, LayerNorm and GELU after the attention)', () => {
    const model = randomVit(10);
    const img = randn([1, 3, 8, 8], { rng: 11 });
    const closed = gradCamPlusPlusRollout(model, img, { trace: true });
    const exact = gradCamPlusPlusRollout(model, img, { exact: true, trace: true });
    expect(exact.method).toBe('gradcam++ rollout (exact)');
    expectClose(exact.rolloutTrace!.d1![0]!.data, closed.rolloutTrace!.d1![0]!.data, 1e-14, 1e-10);
    const d2 = (r: typeof closed): number[] => values(r.rolloutTrace!.d2![0]!);
    const gap = Math.max(...d2(exact).map((v, i) => Math.abs(v - d2(closed)[i]!))) / Math.max(...d2(closed).map(Math.abs));
    expect(gap).toBeGreaterThan(1e-2);
  });

  it('pruning: \'score\' skips the last block\'s non-class rows (the same numbers as unpruned), \'map\' also d1 ≤ 0 (the same map)', () => {
    const model = randomVit(12, { numLayers: 3 });
    const img = randn([2, 3, 8, 8], { rng: 13 });
    const layers = attentionLayers(model);
    expect(reachingRows(model, layers)).toEqual([null, null, [0]]);
    expect(reachingRows(smallCnn(1), ['features.0'])).toEqual([null]);
    const opts = { target: [1, 2], exact: { batchSize: 7 } } as const;
    const full = attentionTerms(model, img, { ...opts, prune: 'none' });
    const score = attentionTerms(model, img, { ...opts, prune: 'score' });
    const map = attentionTerms(model, img, opts);
    expect(map.derivatives).toBe('exact diagonals of Y = exp(S − S0) where ∂Y/∂A > 0 (elsewhere ReLU zeroes the term; d2, d3, α left 0)');
    let skipped = 0;
    full.terms.forEach((t, l) => {
      for (const k of ['d1', 'd2', 'd3'] as const) expect(values(score.terms[l]![k]), `block ${l} ${k}`).toEqual(values(t[k]));
      expect(values(map.terms[l]!.d1)).toEqual(values(t.d1));
      const d1 = values(t.d1);
      for (const k of ['d2', 'd3'] as const) {
        const m = values(map.terms[l]![k]);
        values(t[k]).forEach((v, e) => expect(m[e], `block ${l} ${k} at ${e}`).toBe(d1[e]! > 0 ? v : 0));
      }
      skipped += d1.filter((v, e) => !(v > 0) && values(t.d2)[e] !== 0).length;
    });
    expect(skipped).toBeGreaterThan(50); // 'map' skips entries whose diagonals are not 0
    // Unpruned, the last block's rows 1..S−1 are exactly 0 (they cannot reach the score), row 0 is not.
    const last = full.terms[2]!.d2;
    const [n, h, s] = last.shape as [number, number, number];
    for (let i = 0; i < n * h * s; i++) {
      const row = values(last).slice(i * s, (i + 1) * s);
      if (i % s === 0) expect(row.some((v) => v !== 0)).toBe(true);
      else expect(row.every((v) => v === 0)).toBe(true);
    }
    const maps = (['none', 'score', 'map'] as const).map((prune) => values(gradCamPlusPlusRollout(model, img, { exact: true, prune, target: [1, 2] }).map));
    expect(maps[1]).toEqual(maps[0]);
    expect(maps[2]).toEqual(maps[0]);
    expect(errorOf(() => attentionTerms(model, img, { exact: true, prune: 'all' as never }))).toBe("rollout: prune must be 'none', 'score' or 'map', got 'all'");
  });

  it('errors name the method and the problem', () => {
    expect(errorOf(() => gradientRollout(tinyVit(), randn([3, 16, 16], { rng: 1 })))).toMatch(/gradient rollout: input must be a batch of images \[N,C,H,W\], got \[3,16,16\]/);
    expect(errorOf(() => attentionRollout(tinyVit(), x, { grid: [2, 2] }))).toMatch(/16 patch tokens of rollout \[2,17,17\] do not fill a 2x2 grid/);
    expect(errorOf(() => smoothGradientRollout(tinyVit(), x, { samples: 0 }))).toMatch(/samples must be a positive integer, got 0/);
  });
});
