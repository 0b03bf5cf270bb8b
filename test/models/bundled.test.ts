import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTraining } from '../../src/cli/train.js';
import { shapesHeldOutSet, digitSet } from '../../src/data/datasets.js';
import { loadMnist } from '../../src/data/mnist.js';
import { loadModel } from '../../src/io/model.js';
import { evaluateClassifier } from '../../src/nn/train.js';
import { mnistCnnSpec, shapesCnnSpec, shapesVitSpec } from '../../src/nn/zoo.js';

const modelDir = (name: string): URL => new URL(`../../models/${name}/`, import.meta.url);

function bundled(name: string): ReturnType<typeof loadModel> {
  const dir = modelDir(name);
  return loadModel(JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8')), new Uint8Array(readFileSync(new URL('model.safetensors', dir))));
}

describe('bundled models', () => {
  it('shapes-cnn classifies freshly generated held-out shapes (sample of 400)', () => {
    const { spec, module } = bundled('shapes-cnn');
    const r = evaluateClassifier(module, shapesHeldOutSet(400), { normalize: spec.input, dtype: 'float64' });
    // The model card reports the accuracy on 1,000 held-out images; a 400-image sample must agree.
    expect(r.accuracy).toBeGreaterThanOrEqual(0.94);
    const card = JSON.parse(readFileSync(new URL('metrics.json', modelDir('shapes-cnn')), 'utf8')) as { heldOutAccuracy: number; heldOutImages: number };
    expect(card.heldOutImages).toBe(1000);
    expect(card.heldOutAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  // Issue 14 asks for >= 97% held-out, trained in under 15 minutes on two cores (the card records both).
  it('shapes-vit classifies freshly generated held-out shapes (sample of 400); its card says >= 97% in < 15 min', () => {
    const { spec, module } = bundled('shapes-vit');
    const r = evaluateClassifier(module, shapesHeldOutSet(400), { normalize: spec.input, dtype: 'float64' });
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
    const card = JSON.parse(readFileSync(new URL('metrics.json', modelDir('shapes-vit')), 'utf8')) as { heldOutAccuracy: number; heldOutImages: number; model: string; seconds: number };
    expect([card.model, card.heldOutImages]).toEqual(['shapes-vit', 1000]);
    expect(card.heldOutAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(card.seconds).toBeLessThan(15 * 60);
    expect(spec).toEqual({ ...shapesVitSpec(), dtype: spec.dtype });
  });

  it('mnist-cnn classifies held-out MNIST digits (sample of 500)', () => {
    const { spec, module } = bundled('mnist-cnn');
    const { heldOut } = loadMnist();
    const data = digitSet(heldOut.images.filter((_, i) => i % 3 === 0), heldOut.labels.filter((_, i) => i % 3 === 0));
    const r = evaluateClassifier(module, data, { normalize: spec.input, dtype: 'float64' });
    expect(r.accuracy).toBeGreaterThanOrEqual(0.97);
    const card = JSON.parse(readFileSync(new URL('metrics.json', modelDir('mnist-cnn')), 'utf8')) as { heldOutAccuracy: number };
    expect(card.heldOutAccuracy).toBeGreaterThanOrEqual(0.98);
  });

  it('weights stay under 2 MB each', () => {
    for (const name of ['shapes-cnn', 'shapes-vit', 'mnist-cnn']) {
      expect(readFileSync(new URL('model.safetensors', modelDir(name))).length).toBeLessThan(2 * 1024 * 1024);
    }
  });

  it.each([
    ['shapes', shapesCnnSpec()],
    ['shapes', shapesVitSpec()],
    ['mnist', mnistCnnSpec()],
  ] as const)('retraining %s (%o) for one epoch with a fixed seed is deterministic', (data, spec) => {
    const run = { data, spec, seed: 5, epochs: 1, batchSize: 16, lr: 3e-3, trainSize: 48, heldOut: 16 } as const;
    const a = runTraining(run, () => {});
    const b = runTraining(run, () => {});
    const c = runTraining({ ...run, seed: 6 }, () => {});
    const params = (m: typeof a.model): number[] => m.parameters().flatMap((p) => Array.from(p.data));
    expect(params(a.model)).toEqual(params(b.model));
    expect(params(a.model)).not.toEqual(params(c.model));
    expect(a.history).toEqual(b.history.map((h) => ({ ...h, seconds: a.history[h.epoch]!.seconds })));
  });
});
