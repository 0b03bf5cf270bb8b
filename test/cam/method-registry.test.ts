import { describe, expect, it } from 'vitest';
import {
  explain, isMethodName, METHOD_DESCRIPTORS, METHOD_NAMES, methodDescriptor, methodOptions, METHODS, methodsAccepting,
  type ExplainOptions,
} from '../../src/cam/methods.js';
import { channelSummary, type CamResult } from '../../src/cam/result.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import type { RolloutResult } from '../../src/cam/rollout/methods.js';
import { errorOf } from '../support/check.js';
import { randomVit } from '../support/vit.js';
import { image, smallCnn } from './helpers.js';

describe('the method registry', () => {
  const model = smallCnn(3);
  const x = image([1, 3, 8, 6], 4);

  it('one descriptor per method: unique names, a label, a cited paper, the options it reads', () => {
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_DESCRIPTORS.length);
    expect(METHOD_NAMES).toEqual(METHOD_DESCRIPTORS.map((d) => d.name));
    for (const d of METHOD_DESCRIPTORS) {
      expect(d.label.length, d.name).toBeGreaterThan(0);
      expect(d.paper.cite, d.name).toMatch(/ (19|20)\d\d$/);
      expect(d.paper.title.length, d.name).toBeGreaterThan(10);
      expect(d.accepts, d.name).toContain('target');
      // A method is stochastic exactly when it takes a noise seed.
      expect(d.stochastic, d.name).toBe(d.accepts.includes('seed'));
      expect(d.presets.length > 0, d.name).toBe(d.accepts.includes('preset'));
      expect(isMethodName(d.name)).toBe(true);
      expect(methodDescriptor(d.name)).toBe(d);
    }
    expect(isMethodName('toString')).toBe(false);
    expect(errorOf(() => methodDescriptor('nope', 'eval'))).toBe(`eval: unknown method 'nope'; known: ${METHOD_NAMES.join(', ')}`);
    expect(methodsAccepting('exact').map((d) => d.name)).toEqual(['gradcam++', 'gradcam++-exact', 'smooth-gradcam++', 'gradcam++-rollout', 'gradcam++-rollout-exact', 'smooth-gradcam++-rollout']);
  });

  it('each result is of the declared kind; only stochastic methods change with the seed', () => {
    const vit = randomVit(2);
    const xv = image([1, 3, 8, 8], 4);
    for (const d of METHOD_DESCRIPTORS) {
      const [m, xs] = d.appliesTo === 'transformer' ? [vit, xv] : [model, x];
      const opts: ExplainOptions = { samples: 2, trace: true };
      const r = explain(d.name, m, xs, opts);
      expect('layer' in r ? 'cam' : 'saliency', d.name).toBe(d.result);
      if (d.result === 'cam') expect('rollout' in r ? (r as RolloutResult).rolloutTrace : (r as CamResult).trace, d.name).toBeDefined();
      // At features.2 the gradients depend on the input (after the GAP head they do not), so noise shows.
      const at: ExplainOptions = d.name === 'cam' ? opts : { ...opts, layer: 'features.2' };
      const [s0, s1] = [0, 1].map((seed) => explain(d.name, m, xs, { ...at, seed }).map.data);
      expect(Array.from(s1!).some((v, i) => v !== s0![i]), d.name).toBe(d.stochastic);
    }
  });

  it('a method is given only the options it accepts, so one options object serves every method', () => {
    const shared: ExplainOptions = { samples: 2, preset: 'torchcam', exact: { output: 'softmax' }, batchSize: 3, layer: 'features.2', target: 1 };
    expect(methodOptions(methodDescriptor('gradcam'), shared)).toEqual({ layer: 'features.2', target: 1 });
    expect(methodOptions(methodDescriptor('smoothgrad'), shared)).toEqual({ samples: 2, target: 1, batchSize: 3 });
    expect(methodOptions(methodDescriptor('scorecam'), { batchSize: 3, samples: 2, exact: true, preset: 'torchcam' })).toEqual({ batchSize: 3, preset: 'torchcam' });
    const alone = explain('gradcam', model, x, { layer: 'features.2', target: 1 });
    expect(Array.from(explain('gradcam', model, x, shared).upsampled.data)).toEqual(Array.from(alone.upsampled.data));
    const pp = explain('gradcam++', model, x, shared);
    expect(Array.from(pp.upsampled.data)).toEqual(Array.from(gradCamPlusPlus(model, x, { layer: 'features.2', target: 1, preset: 'torchcam', exact: { output: 'softmax' } }).upsampled.data));
    // METHODS (by name) runs through the same path.
    expect(Array.from(METHODS.gradcam(model, x, shared).upsampled.data)).toEqual(Array.from(alone.upsampled.data));
  });

  it('fastOptions change only the speed: results are bit-identical with and without them', () => {
    const fast = METHOD_DESCRIPTORS.filter((d) => d.fastOptions !== undefined);
    expect(fast.map((d) => d.name)).toEqual(['gradcam++-exact', 'scorecam', 'ablationcam', 'smoothgrad', 'smooth-gradcam++']);
    // 8 channels at 4x3 after the pool: 96 diagonals, so batches of 64 and 256 differ.
    const xs = image([2, 3, 8, 6], 9);
    for (const d of fast) {
      const a = explain(d.name, model, xs, { trace: true });
      const b = explain(d.name, model, xs, { ...d.fastOptions, trace: true });
      expect(Array.from(b.upsampled.data), d.name).toEqual(Array.from(a.upsampled.data));
      const terms = (r: typeof a): ArrayLike<number> => ('saliency' in r ? r.saliency : r.weights!).data;
      expect(Array.from(terms(b)), d.name).toEqual(Array.from(terms(a)));
    }
  });
});

describe('channelSummary', () => {
  it('per channel of one image: ΣA, mean g, Σ ReLU(g), α range and the weight, from the trace', () => {
    const model = smallCnn(5);
    const x = image([2, 3, 8, 6], 6);
    const r = gradCamPlusPlus(model, x, { trace: true });
    const t = r.trace!;
    const [, k, h, w] = t.A.shape as [number, number, number, number];
    for (const img of [0, 1]) {
      const rows = channelSummary(t, img);
      expect(rows.map((c) => c.channel)).toEqual(Array.from({ length: k }, (_, i) => i));
      for (const c of rows) {
        const at = (img * k + c.channel) * h * w;
        const a = Array.from(t.A.data.subarray(at, at + h * w));
        const g = Array.from(t.d1.data.subarray(at, at + h * w));
        const al = Array.from(t.alpha!.data.subarray(at, at + h * w));
        expect(c.sumA).toBeCloseTo(a.reduce((s, v) => s + v, 0), 12);
        expect(c.sumA).toBeCloseTo(t.sumA!.data[img * k + c.channel]!, 12);
        expect(c.meanGrad).toBeCloseTo(g.reduce((s, v) => s + v, 0) / (h * w), 14);
        expect(c.reluGradSum).toBeCloseTo(g.reduce((s, v) => s + Math.max(v, 0), 0), 14);
        expect(c.alpha).toEqual({ min: Math.min(...al), mean: expect.closeTo(al.reduce((s, v) => s + v, 0) / (h * w), 14) as number, max: Math.max(...al) });
        expect(c.weight).toBe(r.weights!.data[img * k + c.channel]);
      }
    }
    const lc = explain('layercam', model, x, { trace: true }) as CamResult;
    const rows = channelSummary(lc.trace!);
    expect(rows.every((c) => c.alpha === null && c.weight === null)).toBe(true);
    expect(errorOf(() => channelSummary(t, 2))).toBe('channelSummary: image 2 is out of range: the trace holds 2 images');
  });
});
