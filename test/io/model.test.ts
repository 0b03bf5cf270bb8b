/** loadModel checks the spec's class list against the model's output size, at load time. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel, saveWeights } from '../../src/io/model.js';
import { buildModel, type LayerSpec, type ModelSpec } from '../../src/nn/spec.js';
import { Rng } from '../../src/tensor/rng.js';
import { errorOf } from '../support/check.js';

const MODELS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');

function specOf(architecture: LayerSpec, classes: string[]): ModelSpec {
  return { format: 'camlab-model', version: 1, name: 'tiny', input: { channels: 1, height: 4, width: 4 }, classes, architecture };
}

/** Weights for an architecture (random, seeded) and the spec with the given class names. */
function filesFor(architecture: LayerSpec, classes: string[]): [ModelSpec, Uint8Array] {
  const spec = specOf(architecture, classes);
  return [spec, saveWeights(buildModel(spec, new Rng(3)))];
}

const linearHead: LayerSpec = {
  type: 'Sequential',
  children: { flatten: { type: 'Flatten' }, hidden: { type: 'Linear', in: 16, out: 5 }, act: { type: 'ReLU' }, head: { type: 'Linear', in: 5, out: 4 }, prob: { type: 'Softmax' } },
};
const convHead: LayerSpec = { type: 'Sequential', layers: [{ type: 'Conv2d', in: 1, out: 4, kernel: 3 }, { type: 'ReLU' }, { type: 'GlobalAvgPool' }] };

describe('loadModel: class names vs model outputs', () => {
  it('a head ending in Linear (then shape-keeping layers): 3 or 5 names for 4 outputs are refused with both numbers', () => {
    for (const names of [['a', 'b', 'c'], ['a', 'b', 'c', 'd', 'e']]) {
      const [spec, weights] = filesFor(linearHead, names);
      expect(errorOf(() => loadModel(spec, weights))).toBe(`model spec: 'classes' lists ${names.length} names but model 'tiny' outputs 4 class scores; give one name per output`);
    }
    const [spec, weights] = filesFor(linearHead, ['a', 'b', 'c', 'd']);
    expect(loadModel(spec, weights).spec.classes).toHaveLength(4);
  });

  it('any other head is measured with one forward pass of a zero input', () => {
    const [spec, weights] = filesFor(convHead, ['a', 'b', 'c']);
    expect(errorOf(() => loadModel(spec, weights))).toBe("model spec: 'classes' lists 3 names but model 'tiny' outputs 4 class scores; give one name per output");
    const [ok, w] = filesFor(convHead, ['a', 'b', 'c', 'd']);
    expect(loadModel(ok, w).module.training).toBe(false);
  });

  it('a model whose output is not [1, K] is not a classifier', () => {
    const [spec, weights] = filesFor({ type: 'Sequential', layers: [{ type: 'Conv2d', in: 1, out: 2, kernel: 3 }] }, ['a', 'b']);
    expect(errorOf(() => loadModel(spec, weights))).toBe("model spec: model 'tiny' outputs shape [1,2,2,2] for one 1x4x4 input; a classifier outputs [1, classes]");
  });

  it('the bundled models pass', () => {
    for (const name of ['shapes-cnn', 'shapes-vit', 'mnist-cnn']) {
      const dir = join(MODELS, name);
      const m = loadModel(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as unknown, new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
      expect(m.spec.classes.length, name).toBe(name === 'mnist-cnn' ? 10 : 4);
    }
  });
});
