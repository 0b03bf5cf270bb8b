import { describe, expect, it } from 'vitest';
import { shapesTrainSet } from '../../src/data/datasets.js';
import { combineParts, microStep, splitBatch, type MicroResult } from '../../src/nn/micro-batches.js';
import { BatchNorm2d, Conv2d, Flatten, GlobalAvgPool, Linear, ReLU, Sequential } from '../../src/nn/layers.js';
import type { Module } from '../../src/nn/module.js';
import { train } from '../../src/nn/train.js';
import { Rng } from '../../src/tensor/rng.js';
import { expectClose } from '../support/check.js';

const NORM = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
const data = shapesTrainSet(3, 24);

function net(seed: number, bn: boolean): Module {
  const rng = new Rng(seed);
  return new Sequential(
    new Conv2d(3, 4, 3, { padding: 1, stride: 4, rng, dtype: 'float64' }),
    ...(bn ? [new BatchNorm2d(4, { dtype: 'float64' })] : []),
    new ReLU(), new GlobalAvgPool(), new Flatten(), new Linear(4, 4, { rng, dtype: 'float64' }),
  );
}

describe('micro-batches', () => {
  it('splitBatch: contiguous parts, the first ones one longer; never an empty part', () => {
    expect(splitBatch([0, 1, 2, 3, 4, 5, 6], 3)).toEqual([[0, 1, 2], [3, 4], [5, 6]]);
    expect(splitBatch([7, 8], 4)).toEqual([[7], [8]]);
    expect(() => splitBatch([1], 0)).toThrow(/train: microBatches must be a positive integer, got 0/);
  });

  it('without batch norm the parts\' gradients add up to the whole batch\'s (float64), and the loss and hits too', () => {
    const idx = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const whole = microStep(net(1, false), data, idx, 0, 10, NORM, 'float64');
    const m = net(1, false);
    const parts = splitBatch(idx, 3).map((p) => microStep(m, data, p, 0, 10, NORM, 'float64'));
    combineParts(m, parts);
    m.parameters().forEach((p, i) => expectClose(p.grad!.data, whole.grads[i]!, 1e-15, 1e-12));
    expect(parts.reduce((a, r) => a + r.lossSum, 0)).toBeCloseTo(whole.lossSum, 12);
    expect(parts.reduce((a, r) => a + r.correct, 0)).toBe(whole.correct);
  });

  it('with batch norm each part sees its own statistics; the running statistics are the mean of the parts\' updates', () => {
    const m = net(2, true);
    const bn = m.namedBuffers().find(([n]) => n.endsWith('running_mean'))![1];
    const r0 = bn.data.slice();
    const parts: MicroResult[] = [];
    for (const p of splitBatch([0, 1, 2, 3, 4, 5], 2)) {
      parts.push(microStep(m, data, p, 0, 6, NORM, 'float64'));
      bn.data.set(r0);
    }
    const means = m.namedBuffers().findIndex(([n]) => n.endsWith('running_mean'));
    expect(parts[0]!.buffers[means]).not.toEqual(parts[1]!.buffers[means]);
    combineParts(m, parts);
    expectClose(bn.data, Array.from(r0, (_, j) => (parts[0]!.buffers[means]![j]! + parts[1]!.buffers[means]![j]!) / 2), 0, 0);
  });

  it('train with microBatches 1 is the plain step; more than the batch size is refused', () => {
    const run = (micro?: number): number[] => {
      const m = net(3, true);
      train(m, data, { epochs: 1, seed: 1, batchSize: 8, normalize: NORM, dtype: 'float64', ...(micro === undefined ? {} : { microBatches: micro }) });
      return m.parameters().flatMap((p) => [...p.data]);
    };
    expect(run(1)).toEqual(run());
    expect(run(2)).not.toEqual(run());
    expect(() => run(9)).toThrow(/train: microBatches must be an integer in \[1, batchSize 8\], got 9/);
  });
});
