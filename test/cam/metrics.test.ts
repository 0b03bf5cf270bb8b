import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averageDrop, classProbabilities, confidenceChange, deletionInsertion, dropPercent, energyInMask, explanationImage,
  increaseInConfidence, instanceCoverage, mixSeed, noiseStability, noisyPair, pearsonCorrelation, perturbationBaseline,
  pointingGame, saliencyOrder, totalVariation, trapezoidAuc, winPercent,
} from '../../src/cam/metrics.js';
import { barsSvg, curvesSvg, niceTicks } from '../../src/cam/plots.js';
import { Flatten, Linear, Sequential } from '../../src/nn/layers.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';

const t = (data: number[], shape: number[]): Tensor => new Tensor(Float64Array.from(data), shape);

/** 4x4 masks: instance A = the top-left 2x2 block, instance B = the bottom-right 2x2 block. */
const A = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const B = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
const UNION = A.map((v, i) => v | B[i]!);

describe('localization metrics on hand-made maps', () => {
  it('a map equal to the mask: energy 1, pointing hit, every instance covered', () => {
    const map = t(Array.from(UNION), [1, 4, 4]);
    expect(energyInMask(map, [UNION])).toEqual([1]);
    expect(pointingGame(map, [UNION])).toEqual([true]);
    const [cov] = instanceCoverage(map, [[A, B]], [0.25, 0.5, 0.75, 1]);
    expect(cov).toEqual({ instances: 2, peaks: [1, 1], covered: [2, 2, 2, 2] });
  });

  it('an all-zero map: energy 0 (not NaN), no hit, nothing covered', () => {
    const map = t(new Array(16).fill(0), [1, 4, 4]);
    expect(energyInMask(map, [UNION])).toEqual([0]);
    expect(pointingGame(map, [UNION])).toEqual([false]);
    expect(instanceCoverage(map, [[A, B]])[0]!.covered).toEqual([0, 0, 0]);
  });

  it('a uniform map: energy = the mask area fraction; no peak, so no hit; coverage by threshold', () => {
    const map = t(new Array(16).fill(0.5), [1, 4, 4]);
    expect(energyInMask(map, [UNION])[0]).toBeCloseTo(8 / 16, 15);
    expect(energyInMask(map, [A])[0]).toBeCloseTo(4 / 16, 15);
    expect(pointingGame(map, [UNION])).toEqual([false]);
    expect(instanceCoverage(map, [[A, B]], [0.25, 0.5, 0.75])[0]!.covered).toEqual([2, 2, 0]);
  });

  it('energy by hand on a graded map', () => {
    // mass 1+2+3+4 = 10 in row 0; the mask holds pixels 0, 1 (values 1, 2) → 3/10.
    const map = t([1, 2, 3, 4, ...new Array(12).fill(0)], [1, 4, 4]);
    expect(energyInMask(map, [A])[0]).toBeCloseTo(0.3, 15);
  });

  it('pointing game ties: a hit only when every maximal pixel is in the mask', () => {
    const inside = t([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.2], [1, 4, 4]);
    const straddling = t([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 4, 4]);
    expect(pointingGame(inside, [A])).toEqual([true]);
    expect(pointingGame(straddling, [A])).toEqual([false]);
  });

  it('instance coverage counts each instance by its own peak (one found, one missed)', () => {
    const map = t([0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0, 0, 0, 0, 0.1], [1, 4, 4]);
    const [cov] = instanceCoverage(map, [[A, B]], [0.25, 0.5]);
    expect(cov!.peaks).toEqual([0.9, 0.3]);
    expect(cov!.covered).toEqual([2, 1]);
  });

  it('energy is in [0, 1] and a mask and its complement share the mass (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 16, maxLength: 16 }), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), (vals, bits) => {
        const map = t(vals, [1, 4, 4]);
        const mask = Uint8Array.from(bits.map((b) => (b ? 1 : 0)));
        const comp = mask.map((v) => 1 - v);
        const e = energyInMask(map, [mask])[0]!;
        const ec = energyInMask(map, [comp])[0]!;
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(1);
        if (vals.some((v) => v > 0)) expect(e + ec).toBeCloseTo(1, 12);
        else expect(e + ec).toBe(0);
      }),
      runs(100),
    );
  });

  it('errors name the op and the values at fault', () => {
    const map = t(new Array(16).fill(0.5), [1, 4, 4]);
    expect(() => energyInMask(map, [new Uint8Array(15)])).toThrow(/energyInMask: mask 0 has 15 values, the maps have 16 pixels/);
    expect(() => energyInMask(t([-1, ...new Array(15).fill(0)], [1, 4, 4]), [A])).toThrow(/negative value -1 at position 0/);
    expect(() => pointingGame(map, [A, B])).toThrow(CamlabError);
    expect(() => instanceCoverage(map, [[new Uint8Array(16)]])).toThrow(/instance 0 of image 0 has an empty mask/);
    expect(() => energyInMask(t([NaN, ...new Array(15).fill(0)], [1, 4, 4]), [A])).toThrow(/holds NaN at position 0/);
  });
});

describe('Average Drop, Increase in Confidence, Win %', () => {
  const y = [0.8, 0.5, 0.9, 0.4];
  const o = [0.4, 0.6, 0.9, 0.1];

  it('by hand', () => {
    // drops: 100·0.4/0.8 = 50, 0 (O > Y), 0 (equal), 100·0.3/0.4 = 75 → mean 31.25
    expectClose(y.map((v, i) => dropPercent(v, o[i]!)), [50, 0, 0, 75], 1e-12, 0);
    expect(averageDrop(y, o)).toBeCloseTo(31.25, 12);
    // only image 1 gains (0.5 < 0.6); image 2 (equal) is no increase.
    expect(increaseInConfidence(y, o)).toBe(25);
    expect(dropPercent(0, 0.3)).toBe(0);
  });

  it('win %: the smaller drop wins, equal drops count for neither', () => {
    const a = [50, 0, 0, 75];
    const b = [25, 0, 10, 75];
    expect(winPercent(a, b)).toEqual({ first: 25, second: 25, ties: 50 });
    expect(winPercent(b, a)).toEqual({ first: 25, second: 25, ties: 50 });
  });

  it('win % with a tolerance: drops equal up to rounding tie', () => {
    const a = [50, 10, 20 + 1e-12];
    const b = [50 + 1e-12, 10.5, 20];
    expect(winPercent(a, b)).toEqual({ first: 200 / 3, second: 100 / 3, ties: 0 });
    expect(winPercent(a, b, { tolerance: 1e-6 })).toEqual({ first: 100 / 3, second: 0, ties: 200 / 3 });
    expect(() => winPercent(a, b, { tolerance: -1 })).toThrow(/tolerance must be a finite number >= 0, got -1/);
  });

  it('win % shares add up to 100 and swap with the arguments (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 30 }), (pairs) => {
        const a = pairs.map((p) => p[0] * 25);
        const b = pairs.map((p) => p[1] * 25);
        const w = winPercent(a, b);
        const v = winPercent(b, a);
        expect(w.first + w.second + w.ties).toBeCloseTo(100, 10);
        expect(v).toEqual({ first: w.second, second: w.first, ties: w.ties });
      }),
      runs(100),
    );
  });

  it('rejects mismatched or empty inputs and probabilities outside [0, 1]', () => {
    expect(() => averageDrop([0.5], [])).toThrow(/averageDrop: Y has 1 values but O has 0/);
    expect(() => increaseInConfidence([], [])).toThrow(/needs at least one image/);
    expect(() => dropPercent(1.5, 0.2)).toThrow(/Y = 1.5/);
  });
});

/**
 * A linear 2-class model on 1x4x4 images: logit0 = w·x, logit1 = 0, so the probability of class 0
 * is σ(w·x) = 1/(1 + exp(−w·x)) and every curve point can be written down by hand.
 */
function linearModel(w: readonly number[]): Sequential {
  const lin = new Linear(16, 2);
  for (const [name, p] of lin.namedParameters()) {
    if (name === 'weight') p.data.set([...w, ...new Array(16).fill(0)]);
    else p.data.fill(0);
  }
  return new Sequential(new Flatten(), lin).eval();
}
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const W = Array.from({ length: 16 }, (_, i) => ((i % 5) - 2) * 0.3 + 0.1 * (i % 3));
const X = Array.from({ length: 16 }, (_, i) => 0.1 + 0.05 * i);
/** Saliency: pixel 15 first, then 14, … (strictly decreasing with the index). */
const MAP = Array.from({ length: 16 }, (_, i) => i / 15);

describe('deletion and insertion (RISE) on a linear model', () => {
  const model = linearModel(W);
  const x = t(X, [1, 1, 4, 4]);
  const map = t(MAP, [1, 4, 4]);
  const dot = (keep: (j: number) => boolean, fill: (j: number) => number): number => W.reduce((s, w, j) => s + w * (keep(j) ? X[j]! : fill(j)), 0);

  it('saliency order: decreasing value, ties by index', () => {
    expect(Array.from(saliencyOrder([0.5, 1, 0.5, 1, 0]))).toEqual([1, 3, 0, 2, 4]);
    expect(Array.from(saliencyOrder([0, 0, 0]))).toEqual([0, 1, 2]);
  });

  it('trapezoid rule by hand', () => {
    expect(trapezoidAuc([0, 0.5, 1], [1, 0.5, 0])).toBe(0.5);
    expect(trapezoidAuc([0, 0.25, 1], [0, 1, 1])).toBe(0.875);
    expect(() => trapezoidAuc([0, 1, 0.5], [0, 0, 0])).toThrow(/non-decreasing/);
  });

  it('zero baseline: each step removes (inserts) the 4 most salient remaining pixels', () => {
    const r = deletionInsertion(model, x, map, [0], { steps: 4, baseline: 'zero' });
    expect(r.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // Step k touches pixels 15, 14, …, 16 − 4k.
    const del = [0, 1, 2, 3, 4].map((k) => sigmoid(dot((j) => j < 16 - 4 * k, () => 0)));
    const ins = [0, 1, 2, 3, 4].map((k) => sigmoid(dot((j) => j >= 16 - 4 * k, () => 0)));
    expectClose(r.deletion[0]!, del, 1e-14, 0);
    expectClose(r.insertion[0]!, ins, 1e-14, 0);
    const auc = (c: number[]): number => 0.25 * (c[0]! / 2 + c[1]! + c[2]! + c[3]! + c[4]! / 2);
    expect(r.deletionAuc[0]).toBeCloseTo(auc(del), 14);
    expect(r.insertionAuc[0]).toBeCloseTo(auc(ins), 14);
  });

  it('pixel space vs normalized space with a normalization (mean 0.5, std 0.25)', () => {
    const normalization = { mean: [0.5], std: [0.25] };
    const pix = deletionInsertion(model, x, map, [0], { steps: 2, baseline: 'zero', normalization, curves: 'deletion' });
    const nrm = deletionInsertion(model, x, map, [0], { steps: 2, baseline: 'zero', normalization, space: 'normalized', curves: 'deletion' });
    // A black pixel (p = 0) is x = (0 − 0.5)/0.25 = −2 at the model's input; normalized 'zero' is x = 0.
    expect(pix.deletion[0]![1]).toBeCloseTo(sigmoid(dot((j) => j < 8, () => -2)), 14);
    expect(nrm.deletion[0]![1]).toBeCloseTo(sigmoid(dot((j) => j < 8, () => 0)), 14);
    expect(pix.insertion).toEqual([]);
    expect(pix.insertionAuc).toEqual([]);
  });

  it('mean baseline: the per-channel mean of the image', () => {
    const m = X.reduce((a, b) => a + b, 0) / 16;
    const r = deletionInsertion(model, x, map, [0], { steps: 4, baseline: 'mean', curves: 'deletion' });
    expect(r.deletion[0]![2]).toBeCloseTo(sigmoid(dot((j) => j < 8, () => m)), 14);
    const base = perturbationBaseline(t([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 2, 2]), 'mean');
    expect(Array.from(base.data)).toEqual([1.5, 1.5, 1.5, 1.5, 5.5, 5.5, 5.5, 5.5]);
  });

  it('blur baseline: constant images stay constant; σ = 0 is the identity; one pass by hand', () => {
    const c = perturbationBaseline(t(new Array(16).fill(0.3), [1, 1, 4, 4]), 'blur', { blurSigma: 2 });
    expectClose(c.data, new Array(16).fill(0.3), 1e-15, 0);
    expect(Array.from(perturbationBaseline(x, 'blur', { blurSigma: 0 }).data)).toEqual(X);
    // σ = 0.5 → round(2·0.25) = 1 pass of [1,2,1]/4 (edges replicated) along rows, then columns.
    const impulse = t([0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 4, 4]);
    const b = perturbationBaseline(impulse, 'blur', { blurSigma: 0.5 });
    expect(Array.from(b.data)).toEqual([1, 2, 1, 0, 2, 4, 2, 0, 1, 2, 1, 0, 0, 0, 0, 0]);
  });

  it('default baselines are RISE\'s (zero for deletion, blur for insertion), endpoints are the image and the baselines', () => {
    const r = deletionInsertion(model, x, map, [0], { steps: 4 });
    const y = classProbabilities(model, x, [0])[0]!;
    const blur = classProbabilities(model, perturbationBaseline(x, 'blur'), [0])[0]!;
    expect(r.deletion[0]![0]).toBeCloseTo(y, 15);
    expect(r.deletion[0]![4]).toBeCloseTo(sigmoid(0), 15);
    expect(r.insertion[0]![0]).toBeCloseTo(blur, 15);
    expect(r.insertion[0]![4]).toBeCloseTo(y, 15);
    const given = deletionInsertion(model, x, map, [0], { steps: 4, endpoints: { clean: [y], deletionBaseline: [0.5], insertionBaseline: [blur] } });
    expectClose(given.deletion[0]!, r.deletion[0]!, 1e-15, 0);
    expectClose(given.insertion[0]!, r.insertion[0]!, 1e-15, 0);
  });

  it('the batch size does not change the results; several images in one call', () => {
    const xs = t([...X, ...X.map((v) => 1 - v)], [2, 1, 4, 4]);
    const maps = t([...MAP, ...MAP.map((v) => 1 - v)], [2, 4, 4]);
    const a = deletionInsertion(model, xs, maps, [0, 1], { steps: 8, batchSize: 1 });
    const b = deletionInsertion(model, xs, maps, [0, 1], { steps: 8, batchSize: 64 });
    const one = deletionInsertion(model, t(X.map((v) => 1 - v), [1, 1, 4, 4]), t(MAP.map((v) => 1 - v), [1, 4, 4]), [1], { steps: 8 });
    expectClose(a.deletionAuc, b.deletionAuc, 1e-15, 0);
    expectClose(a.insertion.flat(), b.insertion.flat(), 1e-15, 0);
    expectClose(one.deletion[0]!, a.deletion[1]!, 1e-15, 0);
    expect(a.fractions).toHaveLength(9);
  });

  it('validates its arguments', () => {
    expect(() => deletionInsertion(model, x, map, [0], { steps: 17 })).toThrow(/steps must be an integer in \[1, 16\]/);
    expect(() => deletionInsertion(model, x, t(MAP.slice(0, 9), [1, 3, 3]), [0])).toThrow(/maps \[1,3,3\] do not match the input \[1,1,4,4\]/);
    expect(() => deletionInsertion(model, x, map, [0, 1])).toThrow(/2 classes given for 1 images/);
    expect(() => deletionInsertion(model, x, map, [5])).toThrow(/class 5 is out of range: the model has 2 classes/);
    expect(() => perturbationBaseline(x, 'noise' as never)).toThrow(/baseline must be 'zero', 'mean' or 'blur', got 'noise'/);
    expect(() => perturbationBaseline(x, 'zero', { normalization: { mean: [0.5, 0.5] } })).toThrow(/normalization.mean has 2 values for 1 channels/);
  });
});

describe('explanation image and confidence change', () => {
  const model = linearModel(W);
  const x = t(X, [1, 1, 4, 4]);

  it('E = map ⊙ image in pixel space (default) or normalized space', () => {
    const map = t(MAP, [1, 4, 4]);
    const normalization = { mean: [0.5], std: [0.25] };
    const e = explanationImage(x, map, { normalization });
    const en = explanationImage(x, map, { normalization, space: 'normalized' });
    expectClose(e.data, X.map((v, j) => (MAP[j]! * (v * 0.25 + 0.5) - 0.5) / 0.25), 1e-15, 1e-15);
    expectClose(en.data, X.map((v, j) => MAP[j]! * v), 1e-15, 0);
  });

  it('Y and O by hand; a map of ones keeps the image (drop 0, no increase)', () => {
    const map = t(MAP, [1, 4, 4]);
    const r = confidenceChange(model, x, map, [0]);
    const y = sigmoid(dot(X));
    const o = sigmoid(dot(X.map((v, j) => v * MAP[j]!)));
    expect(r.y[0]).toBeCloseTo(y, 15);
    expect(r.o[0]).toBeCloseTo(o, 15);
    expect(r.drop[0]).toBeCloseTo((100 * Math.max(0, y - o)) / y, 12);
    expect(r.increase[0]).toBe(y < o);
    const ones = confidenceChange(model, x, t(new Array(16).fill(1), [1, 4, 4]), [0]);
    expect(ones.drop).toEqual([0]);
    expect(ones.increase).toEqual([false]);
  });

  function dot(v: readonly number[]): number {
    return W.reduce((s, w, j) => s + w * v[j]!, 0);
  }
});

describe('total variation and stability', () => {
  it('total variation by hand', () => {
    // Horizontal pairs: |1−0| in both rows = 2; vertical: 0. Pairs: 2·1 + 1·2 = 4 → 0.5.
    expect(totalVariation(t([0, 1, 0, 1], [1, 2, 2]))).toEqual([0.5]);
    expect(totalVariation(t(new Array(9).fill(0.7), [1, 3, 3]))).toEqual([0]);
    expect(totalVariation(t([0, 1, 0, 1, 0, 1, 0, 1, 0], [1, 3, 3]))).toEqual([1]);
    expect(totalVariation(t([0.4], [1, 1, 1]))).toEqual([0]);
    // A ramp 0, 1/3, 2/3, 1 along rows: 3 steps of 1/3 per row, none vertical: (4·1)/(4·3 + 3·4) = 1/6.
    const ramp = Array.from({ length: 16 }, (_, i) => (i % 4) / 3);
    expect(totalVariation(t(ramp, [1, 4, 4]))[0]).toBeCloseTo(1 / 6, 15);
  });

  it('Pearson correlation by hand and for constant maps', () => {
    expect(pearsonCorrelation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 15);
    expect(pearsonCorrelation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(pearsonCorrelation([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 15);
    expect(pearsonCorrelation([0, 0, 0], [0, 0, 0])).toBe(1);
    expect(pearsonCorrelation([0, 0, 0], [0, 1, 0])).toBe(0);
  });

  it('Pearson correlation is symmetric, in [−1, 1] and invariant to positive affine maps (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 2, maxLength: 20 }), fc.double({ min: 0.5, max: 3, noNaN: true }), (pairs, k) => {
        const a = pairs.map((p) => p[0]);
        const b = pairs.map((p) => p[1]);
        const r = pearsonCorrelation(a, b);
        expect(Math.abs(r)).toBeLessThanOrEqual(1);
        expect(pearsonCorrelation(b, a)).toBeCloseTo(r, 12);
        const spread = Math.max(...a) - Math.min(...a);
        if (spread > 1e-6 && Math.max(...b) - Math.min(...b) > 1e-6) expect(pearsonCorrelation(a.map((v) => k * v + 0.25), b)).toBeCloseTo(r, 9);
      }),
      runs(100),
    );
  });

  it('stability: 1 for a map that ignores the input; seeded; independent of the batch', () => {
    const x = t([...X, ...X.map((v) => v * 0.5)], [2, 1, 4, 4]);
    const fixed = (n: Tensor): Tensor => t(new Array(n.shape[0]! * 16).fill(0).map((_, i) => (i % 16) / 16), [n.shape[0]!, 4, 4]);
    expect(noiseStability(fixed, x)).toEqual([1, 1]);
    // The map is the (noisy) input itself: correlation < 1, deterministic per seed.
    const self = (n: Tensor): Tensor => t(Array.from(n.data), [n.shape[0]!, 4, 4]);
    const a = noiseStability(self, x, { noise: 0.05, seed: 3 });
    const b = noiseStability(self, x, { noise: 0.05, seed: 3 });
    const c = noiseStability(self, x, { noise: 0.05, seed: 4 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v).toBeLessThan(1);
    expect(a[0]).toBeGreaterThan(0.5);
    // Image 1 alone, told it is image 1, draws the same noise as inside the batch.
    const alone = noiseStability(self, t(Array.from(x.data.subarray(16)), [1, 1, 4, 4]), { noise: 0.05, seed: 3, indices: [1] });
    expect(alone[0]).toBe(a[1]);
  });

  it('noisy pairs: σ in pixel units becomes σ/std at the input; the two copies differ', () => {
    const x = t(new Array(4096).fill(0), [1, 1, 64, 64]);
    const [p, q] = noisyPair(x, { noise: 0.1, normalization: { std: [0.25] } });
    const sd = (d: ArrayLike<number>): number => Math.sqrt(Array.from(d).reduce((s, v) => s + v * v, 0) / d.length);
    expect(sd(p.data)).toBeGreaterThan(0.38);
    expect(sd(p.data)).toBeLessThan(0.42);
    expect(pearsonCorrelation(p.data, q.data)).toBeLessThan(0.1);
    const [pn] = noisyPair(x, { noise: 0.1, normalization: { std: [0.25] }, space: 'normalized' });
    expect(sd(pn.data)).toBeLessThan(0.105);
  });

  it('mixSeed: deterministic, distinct per index', () => {
    expect(mixSeed(0, 1)).toBe(mixSeed(0, 1));
    const seen = new Set(Array.from({ length: 1000 }, (_, i) => mixSeed(7, i)));
    expect(seen.size).toBe(1000);
    expect(mixSeed(1, 0)).not.toBe(mixSeed(0, 0));
    expect(() => mixSeed(0.5, 0)).toThrow(/mixSeed: seed must be a safe integer, got 0.5/);
  });
});

describe('SVG plots', () => {
  it('curves: axes, a polyline per series, a legend, escaped labels', () => {
    const svg = curvesSvg([
      { title: 'Deletion', xLabel: 'fraction', yLabel: 'p', series: [{ label: 'a<b', x: [0, 0.5, 1], y: [1, 0.5, 0] }, { label: 'gradcam++', x: [0, 1], y: [0.8, 0.1] }] },
      { title: 'Insertion', xLabel: 'fraction', yLabel: 'p', series: [{ label: 'a<b', x: [0, 1], y: [0, 1] }, { label: 'gradcam++', x: [0, 1], y: [0.1, 0.9] }] },
    ], { title: 'T' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain('a&lt;b');
    expect(svg).not.toContain('a<b');
    expect(svg).toContain('>Deletion<');
    expect(svg).toContain('>gradcam++<');
    expect(curvesSvg([{ title: 'x', xLabel: '', yLabel: '', series: [{ label: 's', x: [0, 1], y: [0, 1] }] }])).toBe(curvesSvg([{ title: 'x', xLabel: '', yLabel: '', series: [{ label: 's', x: [0, 1], y: [0, 1] }] }]));
  });

  it('bars: a bar per value, value labels, legend only with several series', () => {
    const one = barsSvg([{ title: 'AD', categories: ['m1', 'm2'], series: [{ label: 'all', values: [10, 20] }] }]);
    expect(one.match(/<rect x=/g)).toHaveLength(2);
    expect(one).toContain('>20.00<');
    const two = barsSvg([{ title: 'AD', categories: ['m1', 'm2'], series: [{ label: 'all', values: [10, null] }, { label: '2 inst', values: [5, -3] }] }]);
    expect(two.match(/<rect x=/g)).toHaveLength(3 + 2); // 3 bars + 2 legend boxes
    expect(two).toContain('>2 inst<');
    expect(() => barsSvg([{ title: 'x', categories: ['a'], series: [{ label: 's', values: [1, 2] }] }])).toThrow(/barsSvg: panel 'x', series 's': 2 values for 1 categories/);
    expect(() => curvesSvg([])).toThrow(/needs at least one panel/);
  });

  it('nice ticks', () => {
    expect(niceTicks(0, 1)).toEqual({ lo: 0, hi: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0, 37)).toEqual({ lo: 0, hi: 40, ticks: [0, 10, 20, 30, 40] });
    expect(niceTicks(-3, 7).ticks).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });
});
