import { describe, expect, it } from 'vitest';
import {
  EVAL_BATCH_SIZE, evaluate, evaluateRecords, mergeParts, shardRange, summarize, type EvalDataset, type EvalModel, type EvalSettings,
} from '../../src/cam/evaluate/index.js';
import { METHOD_DESCRIPTORS } from '../../src/cam/methods.js';
import { Rng } from '../../src/tensor/rng.js';
import { errorOf } from '../support/check.js';
import { smallCnn } from './helpers.js';

const SIDE = 8;

/** n random 3×8×8 images with one or two square objects (their masks), labels cycling over 3 classes. */
function squares(n: number, seed: number): EvalDataset {
  return {
    name: 'squares',
    size: n,
    shape: [3, SIDE, SIDE],
    groups: ['1', '2'],
    masks: true,
    get: (i) => {
      const rng = new Rng(seed * 1000 + i);
      const x = new Float64Array(3 * SIDE * SIDE).map(() => 0.2 * rng.uniform());
      const instances: Uint8Array[] = [];
      for (let k = 0; k < 1 + (i % 2); k++) {
        const m = new Uint8Array(SIDE * SIDE);
        const [r0, c0] = [rng.int(SIDE - 3), rng.int(SIDE - 3)];
        for (let r = r0; r < r0 + 3; r++) {
          for (let c = c0; c < c0 + 3; c++) {
            m[r * SIDE + c] = 1;
            for (let ch = 0; ch < 3; ch++) x[ch * SIDE * SIDE + r * SIDE + c] = 0.6 + 0.4 * rng.uniform();
          }
        }
        instances.push(m);
      }
      return { x, label: i % 3, instances, group: String(instances.length) };
    },
  };
}

const model: EvalModel = { module: smallCnn(7), spec: { name: 'small-cnn', input: { channels: 3, height: SIDE, width: SIDE, mean: [0.3, 0.3, 0.3], std: [0.3, 0.3, 0.3] } } };
const settings: EvalSettings = { steps: 4, samples: 2, curveImages: 11, stabilityImages: 9, examples: 3 };
const METHODS = ['gradcam', 'smooth-gradcam++', 'layercam'];

describe('evaluate (the library harness)', () => {
  const data = squares(19, 1);
  const summary = evaluate(model, data, METHODS, settings);

  it('summarizes every method per group: faithfulness, curves on the first images, localization, stability', () => {
    expect(summary.data).toBe('squares');
    expect(summary.model).toBe('small-cnn');
    expect(summary.layer).toBe('features.5');
    expect(summary.methods).toEqual(METHODS);
    expect(summary.groups).toEqual(['all', '1', '2']);
    expect(summary.localization).toBe(true);
    expect(summary.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    for (const m of METHODS) {
      const all = summary.results[m]!.all!;
      expect(all.images).toBe(19);
      expect(summary.results[m]!['1']!.images + summary.results[m]!['2']!.images).toBe(19);
      expect(all.curveImages).toBe(11);
      expect(all.stabilityImages).toBe(9);
      expect(all.meanDeletion).toHaveLength(5);
      expect(all.averageDrop).toBeGreaterThanOrEqual(0);
      expect(all.energy!).toBeGreaterThanOrEqual(0);
      expect(all.energy!).toBeLessThanOrEqual(1);
      expect(Object.keys(all.coverage!)).toEqual(['0.25', '0.5', '0.75']);
    }
    const w = summary.win.gradcam!.layercam!;
    expect(w.first + w.second + w.ties).toBeCloseTo(100, 9);
    // Deterministic: the same call gives the same numbers.
    expect(evaluate(model, data, METHODS, settings)).toEqual(summary);
  });

  it('the input shape comes from the data set; settings and layers are checked', () => {
    const wrong: EvalDataset = { ...squares(2, 1), shape: [1, SIDE, SIDE] };
    expect(errorOf(() => evaluate(model, wrong, ['gradcam']))).toBe('evaluate: model small-cnn expects 3x8x8 inputs but squares images are 1x8x8');
    expect(errorOf(() => evaluate(model, data, ['gradcam'], { steps: 65 }))).toBe('evaluate: steps must be an integer in [1, 64] (the pixels of an image), got 65');
    expect(errorOf(() => evaluate(model, data, ['nope']))).toContain("evaluate: unknown method 'nope'");
    expect(errorOf(() => evaluate(model, data, ['cam'], { layer: 'features.2' }))).toMatch(/^evaluate: method 'cam' failed at layer features.2: cam: CAM needs/);
    expect(errorOf(() => evaluate(model, data, ['gradcam'], { layer: 'nope' }))).toContain("no layer named 'nope'");
  });

  it('shards are whole batches that tile the images; their records merged give the same summary, bit for bit', () => {
    expect(shardRange(0, 1, 19)).toEqual([0, 19]);
    expect([0, 1, 2].map((k) => shardRange(k, 3, 19))).toEqual([[0, 8], [8, 16], [16, 19]]);
    expect([0, 1, 2, 3].map((k) => shardRange(k, 4, 19))).toEqual([[0, 0], [0, 8], [8, 16], [16, 19]]);
    expect(EVAL_BATCH_SIZE).toBe(8);
    const whole = evaluateRecords(model, data, METHODS, settings);
    for (const n of [1, 2, 3]) {
      // Shards in any order of completion.
      const parts = Array.from({ length: n }, (_, k) => evaluateRecords(model, data, METHODS, settings, { range: shardRange(k, n, data.size) })).reverse();
      const merged = mergeParts(parts);
      expect(merged.records, `n = ${n}`).toEqual(whole.records);
      expect(JSON.stringify(summarize(merged.context, merged.records)), `n = ${n}`).toBe(JSON.stringify(summary));
      const maps = new Map(parts.flatMap((p) => [...p.maps]));
      expect([...maps.keys()].sort()).toEqual([...whole.maps.keys()].sort());
    }
  });

  it('merging refuses gaps, overlaps and parts of another evaluation', () => {
    const part = (k: number, n: number, s = settings) => evaluateRecords(model, data, ['gradcam'], s, { range: shardRange(k, n, data.size) });
    const [a, b, c] = [part(0, 3), part(1, 3), part(2, 3)];
    expect(errorOf(() => mergeParts([a, c]))).toBe('merge: images [8, 16) are in no shard result');
    expect(errorOf(() => mergeParts([a, b]))).toBe('merge: images [16, 19) are in no shard result');
    expect(errorOf(() => mergeParts([a, b, b, c]))).toBe('merge: images [8, 16) are in two shard results');
    expect(errorOf(() => mergeParts([a, b, part(2, 3, { ...settings, seed: 1 })]))).toMatch(/^merge: shard result 2 comes from another evaluation/);
    expect(errorOf(() => evaluateRecords(model, data, ['gradcam'], settings, { range: [3, 8] }))).toBe('evaluate: range [3, 8) must lie in [0, 19] and start at a multiple of 8');
  });

  it('stochastic methods get a seed per image; the others are explained a batch at a time', () => {
    const stochastic = METHOD_DESCRIPTORS.filter((d) => d.stochastic).map((d) => d.name);
    expect(stochastic).toEqual(['smoothgrad', 'smooth-gradcam++', 'smooth-attention-rollout', 'smooth-gradient-rollout', 'smooth-gradcam++-rollout']);
    const one = evaluateRecords(model, squares(9, 1), ['smooth-gradcam++'], { ...settings, layer: 'features.2' }, { range: [8, 9] });
    const full = evaluateRecords(model, squares(9, 1), ['smooth-gradcam++'], { ...settings, layer: 'features.2' });
    expect(one.records[0]).toEqual(full.records[8]);
  });
});
