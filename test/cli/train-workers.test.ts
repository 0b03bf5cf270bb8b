import { describe, expect, it } from 'vitest';
import { runTraining } from '../../src/cli/train.js';
import { TrainWorkers } from '../../src/node/train-workers.js';
import { buildModel } from '../../src/nn/spec.js';
import { shapesCnnSpec, shapesVitSpec } from '../../src/nn/zoo.js';
import { Rng } from '../../src/tensor/rng.js';

// camlab train --micro-batches M runs M − 1 parts of every step on worker threads. Same weights,
// same statistics, same history on one thread or several: the worker runs the same micro-step on
// a replica of the model.
describe('training on worker threads', () => {
  it.each([
    ['shapes-cnn (batch norm everywhere)', shapesCnnSpec()],
    ['shapes-vit', shapesVitSpec()],
  ] as const)('%s: 2 micro-batches on 2 threads give the bits of 2 micro-batches on 1', (_, spec) => {
    const run = { data: 'shapes', spec, seed: 4, epochs: 2, batchSize: 8, lr: 3e-3, trainSize: 24, heldOut: 8, microBatches: 2, weightDecay: 0.01, warmupEpochs: 0.5 } as const;
    const log: string[] = [];
    const one = runTraining({ ...run, threads: 1 }, () => {});
    const two = runTraining({ ...run, threads: 2 }, (s) => log.push(s));
    expect(log[0]).toMatch(/batch 8, 2 micro-batches on 2 threads, AdamW/);
    expect(two.model.stateDict()).toEqual(one.model.stateDict());
    expect(two.history.map((h) => ({ ...h, seconds: 0 }))).toEqual(one.history.map((h) => ({ ...h, seconds: 0 })));
  });

  it('a part that fails in a worker fails the step with its message', () => {
    const spec = shapesCnnSpec();
    const model = buildModel({ ...spec, dtype: 'float32' }, new Rng(0));
    // The worker's data are 1x28x28 digits, the model takes 3x64x64 pictures: its first conv refuses them.
    const w = new TrainWorkers(model, { spec, data: { kind: 'mnist', seed: 0, size: 4 }, normalize: spec.input }, 1, 4);
    try {
      w.start(model.parameters(), model.namedBuffers().map(([, b]) => b), [[0, 1]], 0, 2);
      expect(() => w.finish()).toThrow(/^train: a training worker failed: conv2d: input has 1 channels, weight expects 3 \(input \[2,1,28,28\]/);
    } finally {
      w.close();
    }
  });
});
