import { describe, expect, it } from 'vitest';
import { shapesTrainSet } from '../../src/data/datasets.js';
import { BatchNorm2d, Conv2d, Flatten, GlobalAvgPool, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { evaluateClassifier, makeBatch, train, type Dataset, type EpochSummary, type TrainOptions, type TrainProgress } from '../../src/nn/train.js';
import { Rng } from '../../src/tensor/rng.js';
import { expectClose } from '../support/check.js';

/** A small conv net for the 3x64x64 shapes (4 classes). */
function shapesNet(seed: number): Module {
  const rng = new Rng(seed);
  return Sequential.named([
    ['features', new Sequential(new Conv2d(3, 4, 3, { stride: 2, padding: 1, rng }), new BatchNorm2d(4), new ReLU(), new MaxPool2d({ kernelSize: 2 }))],
    ['pool', new GlobalAvgPool()],
    ['classifier', new Linear(4, 4, { rng })],
  ]);
}

function weights(m: Module): number[][] {
  return [...m.stateDict().values()].map((t) => Array.from(t.data));
}

/**
 * 1x4x4 images: class 0 is bright in the top half, class 1 in the bottom half, plus seeded noise.
 * Linearly separable with a wide margin.
 */
function toyData(n: number, seed = 1): Dataset {
  const rng = new Rng(seed);
  const items = Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    const x = Array.from({ length: 16 }, (_, p) => ((p < 8) === (label === 0) ? 0.8 : 0.2) + 0.1 * (rng.uniform() - 0.5));
    return { x, label };
  });
  return { size: n, shape: [1, 4, 4], get: (i) => items[i]! };
}

function toyNet(seed: number): Module {
  return new Sequential(new Flatten(), new Linear(16, 2, { rng: new Rng(seed) }));
}

describe('train', () => {
  const data = shapesTrainSet(3, 64);

  it('one epoch twice with the same seed gives bit-identical weights; another seed differs', () => {
    const run = (shuffleSeed: number): { w: number[][]; h: EpochSummary[] } => {
      const m = shapesNet(1);
      const h = train(m, data, { epochs: 1, seed: shuffleSeed, batchSize: 16, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
      return { w: weights(m), h };
    };
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(b.w).toEqual(a.w);
    expect(b.h).toEqual(a.h);
    expect(c.w).not.toEqual(a.w);
    // Training changed the weights and the batch-norm statistics.
    expect(a.w).not.toEqual(weights(shapesNet(1)));
    expect(a.h[0]!.epoch).toBe(0);
    expect(Number.isFinite(a.h[0]!.loss)).toBe(true);
  });

  it('the loss decreases on an easily separable toy dataset, and evaluate then finds every label', () => {
    const d = toyData(64);
    const m = toyNet(3);
    const before = evaluateClassifier(m, d);
    const h = train(m, d, { epochs: 8, seed: 1, batchSize: 8, lr: 0.05 });
    expect(h.length).toBe(8);
    for (let e = 1; e < h.length; e++) expect(h[e]!.loss).toBeLessThan(h[e - 1]!.loss);
    expect(h[7]!.loss).toBeLessThan(0.5 * h[0]!.loss);
    const after = evaluateClassifier(m, d);
    expect(after.loss).toBeLessThan(0.5 * before.loss);
    expect(after.accuracy).toBe(1);
    expect(h[7]!.accuracy).toBe(1);
  });

  it('SGD with momentum also learns the toy data', () => {
    const d = toyData(32, 2);
    const m = toyNet(4);
    const h = train(m, d, { epochs: 6, seed: 2, batchSize: 8, optimizer: 'sgd', lr: 0.5, momentum: 0.9, cosine: false });
    expect(h[5]!.loss).toBeLessThan(h[0]!.loss);
    expect(evaluateClassifier(m, d).accuracy).toBe(1);
  });

  it('reports progress per step and per epoch, records extra metrics, and ends in eval mode', () => {
    const d = toyData(20);
    const m = toyNet(5);
    const steps: TrainProgress[] = [];
    const modes: boolean[] = [];
    let clock = 0;
    const h = train(
      m,
      d,
      {
        epochs: 2,
        seed: 3,
        batchSize: 8,
        onStep: (p) => steps.push(p),
        onEpoch: (s) => {
          modes.push(m.training);
          return { heldOut: s.epoch + 0.5 };
        },
      },
      () => (clock += 1000),
    );
    expect(steps.length).toBe(6); // ⌈20/8⌉ = 3 steps per epoch
    expect(steps.map((s) => [s.epoch, s.step, s.stepsPerEpoch])).toEqual([[0, 1, 3], [0, 2, 3], [0, 3, 3], [1, 1, 3], [1, 2, 3], [1, 3, 3]]);
    expect(steps[5]!.etaSeconds).toBe(0);
    expect(steps[0]!.etaSeconds).toBeGreaterThan(0);
    expect(modes).toEqual([false, false]);
    expect(h.map((s) => s.extra)).toEqual([{ heldOut: 0.5 }, { heldOut: 1.5 }]);
    expect(h[1]!.seconds).toBeGreaterThan(0);
    expect(m.training).toBe(false);
  });

  it('learning rate per step: cosine decay, linear warm-up over warmupEpochs, or constant', () => {
    const lrs = (o: Partial<TrainOptions>): number[] => {
      const seen: number[] = [];
      train(toyNet(5), toyData(20), { epochs: 2, seed: 3, batchSize: 8, lr: 0.1, onStep: (p) => seen.push(p.lr), ...o });
      return seen;
    };
    const cos = [0, 1, 2, 3, 4, 5].map((k) => 0.5 * (1 + Math.cos((Math.PI * k) / 6)));
    expect(lrs({})).toEqual(cos.map((c) => 0.1 * c));
    expect(lrs({ warmupEpochs: 1 })).toEqual(cos.map((c, k) => 0.1 * Math.min(1, (k + 1) / 3) * c));
    expect(lrs({ warmupEpochs: 0.5, cosine: false })).toEqual([0.1 / 1.5, 0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(lrs({ cosine: false })).toEqual(Array(6).fill(0.1));
    expect(() => lrs({ warmupEpochs: -1 })).toThrow(/train: warmupEpochs must be a finite number >= 0, got -1/);
  });

  it('adamw decays the weights themselves: p ← p·(1 − lr·λ) besides a step of about lr; adam adds λ·p to the gradient instead', () => {
    const run = (optimizer: 'adam' | 'adamw'): { before: number[]; after: number[] } => {
      const m = toyNet(5);
      const before = [...m.parameters()[0]!.data];
      train(m, toyData(8), { epochs: 1, seed: 3, batchSize: 8, lr: 1e-9, cosine: false, optimizer, weightDecay: 1e6 });
      return { before, after: [...m.parameters()[0]!.data] };
    };
    // One step at lr 1e-9: AdamW shrinks every weight by 1e-3 of itself; an Adam step moves it by ≈ lr.
    const w = run('adamw');
    expectClose(w.after, w.before.map((v) => v * (1 - 1e-3)), 2e-9, 0);
    const a = run('adam');
    expectClose(a.after, a.before, 2e-9, 0);
    expect(() => train(toyNet(1), toyData(4), { epochs: 1, seed: 1, optimizer: 'adagrad' as 'adam' })).toThrow(/train: optimizer must be adam, adamw or sgd, got 'adagrad'/);
  });

  it('rejects bad epochs and batch sizes', () => {
    const d = toyData(4);
    expect(() => train(toyNet(1), d, { epochs: 0, seed: 1 })).toThrow(/train: epochs must be a positive integer, got 0/);
    expect(() => train(toyNet(1), d, { epochs: 1.5, seed: 1 })).toThrow(/epochs/);
    expect(() => train(toyNet(1), d, { epochs: 1, seed: 1, batchSize: 0 })).toThrow(/train: batchSize must be a positive integer, got 0/);
  });
});

describe('evaluateClassifier', () => {
  /** Predicts class 0 when the first pixel > 0.5, else class 1 (logits ±10·(x0 − 0.5)). */
  function thresholdNet(): Module {
    const lin = new Linear(2, 2, { rng: new Rng(1) });
    lin.weight.data.set([10, 0, -10, 0]);
    lin.bias!.data.set([-5, 5]);
    return new Sequential(new Flatten(), lin);
  }

  const xs = [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.95];
  const labels = [0, 1, 1, 0, 0, 1, 0]; // predictions 0,1,0,0,1,1,0 → 5 correct of 7
  const data: Dataset = { size: xs.length, shape: [1, 1, 2], get: (i) => ({ x: [xs[i]!, 0], label: labels[i]! }) };

  it('counts correct predictions over every batch (batch size not dividing the size)', () => {
    const r = evaluateClassifier(thresholdNet(), data, { batchSize: 3 });
    expect(r.count).toBe(7);
    expect(r.accuracy).toBeCloseTo(5 / 7, 15);
    // Mean cross-entropy, computed here: logits (z, −z) with z = 10·x0 − 5.
    const ce = xs.map((x, i) => {
      const z = 10 * x - 5;
      const zs = [z, -z];
      const m = Math.max(z, -z);
      return m + Math.log(Math.exp(z - m) + Math.exp(-z - m)) - zs[labels[i]!]!;
    });
    expect(r.loss).toBeCloseTo(ce.reduce((a, b) => a + b, 0) / 7, 5); // float32 batches
  });

  it('limit evaluates a prefix; the model keeps its mode', () => {
    const m = thresholdNet().train();
    const r = evaluateClassifier(m, data, { limit: 3, batchSize: 2, dtype: 'float64' });
    expect(r.count).toBe(3);
    expect(r.accuracy).toBeCloseTo(2 / 3, 15);
    expect(m.training).toBe(true);
    expect(evaluateClassifier(m.eval(), data).count).toBe(7);
    expect(m.training).toBe(false);
  });

  it('rejects a batch size or limit that is not a positive integer, naming it', () => {
    for (const b of [0, -1, 1.5]) expect(() => evaluateClassifier(thresholdNet(), data, { batchSize: b })).toThrow(`evaluateClassifier: batchSize must be a positive integer, got ${b}`);
    expect(() => evaluateClassifier(thresholdNet(), data, { limit: 2.5 })).toThrow('evaluateClassifier: limit must be an integer, got 2.5');
  });
});

describe('makeBatch', () => {
  it('stacks examples into [B,C,H,W] and normalizes each channel', () => {
    const data: Dataset = {
      size: 2,
      shape: [2, 1, 2],
      get: (i, epoch) => ({ x: [i, i + 0.5, epoch, 1], label: i + 10 }),
    };
    const { x, labels } = makeBatch(data, [1, 0], 3, { mean: [0.5, 1], std: [0.5, 2] }, 'float64');
    expect(x.shape).toEqual([2, 2, 1, 2]);
    expect(x.dtype).toBe('float64');
    expect(labels).toEqual([11, 10]);
    expect(Array.from(x.data)).toEqual([(1 - 0.5) / 0.5, (1.5 - 0.5) / 0.5, (3 - 1) / 2, 0, (0 - 0.5) / 0.5, 0, (3 - 1) / 2, 0]);
    expect(makeBatch(data, [0], 0).x.dtype).toBe('float32');
  });

  it('names an example of the wrong size', () => {
    const data: Dataset = { size: 1, shape: [1, 2, 2], get: () => ({ x: [1, 2, 3], label: 0 }) };
    expect(() => makeBatch(data, [0], 0)).toThrow('makeBatch: example 0 has 3 values, expected 4 for [1,2,2]');
  });
});
