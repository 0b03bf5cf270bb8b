/**
 * Rollout methods on an imported ViT: the tiny torchvision ViT of scripts/vit-fixtures.py exported
 * by scripts/vit-onnx-fixtures.py (torch.onnx folds each MultiheadAttention's heads into the
 * batch: its Softmax outputs are [N·H, S, S]), against the PyTorch rollouts of the same weights.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attentionLayers } from '../../src/cam/rollout/capture.js';
import { attentionRollout, gradCamPlusPlusRollout, gradientRollout, smoothGradientRollout } from '../../src/cam/rollout/methods.js';
import { rolloutMap } from '../../src/cam/rollout/rollout.js';
import { whyNotApplicable } from '../../src/cam/methods/applies.js';
import { applicableMethods, METHOD_DESCRIPTORS } from '../../src/cam/methods.js';
import { AttentionView } from '../../src/nn/attention-view.js';
import { loadOnnx, type OnnxModel } from '../../src/onnx/index.js';
import { slice } from '../../src/tensor/movement.js';
import { relu } from '../../src/tensor/unary.js';
import { values } from '../support/ad.js';
import { errorOf, expectClose } from '../support/check.js';
import { tinyVit, tinyVitIo } from '../support/vit.js';
import { loadFixture } from './support/fixtures.js';

const LAYERS = ['encoder.layers.encoder_layer_0.self_attention.attn', 'encoder.layers.encoder_layer_1.self_attention.attn'];
const vitFile = (f: string): OnnxModel => loadOnnx(new Uint8Array(readFileSync(new URL(`../fixtures/vit/${f}`, import.meta.url))), { dtype: 'float64' });
const io = tinyVitIo();
const x = io.get('x');
const mapOf = (name: string): number[] => values(relu(rolloutMap(io.get(name), [4, 4])));

describe.each([
  ['vit-tiny.onnx', 'the whole batch at once'],
  ['vit-tiny.b1.onnx', 'one image at a time (batch 1 baked in)'],
])('%s: rollouts equal PyTorch\'s on the same weights, %s', (file) => {
  const m = vitFile(file);

  it('finds the Softmax outputs attention reads, in block order, as [N, H, S, S] views named like camlab\'s own ViT', () => {
    expect(attentionLayers(m)).toEqual(LAYERS);
    const view = m.get(LAYERS[0]!);
    expect(view).toBeInstanceOf(AttentionView);
    expect((view as AttentionView).heads).toBe(2);
    expect((view as AttentionView).folded).toBe(true);
    const tensor = '/encoder/layers/encoder_layer_0/self_attention/Softmax_output_0';
    expect(m.get(`${tensor}:attn`)).toBe(view);
    expect(m.layers().filter((l) => l.op === 'attention').map((l) => l.shape)).toEqual([[1, 2, 17, 17], [1, 2, 17, 17]]);
    // No CAM layer: neither the views nor the Softmax outputs behind them are feature maps.
    expect(m.camLayers().some((l) => l.name.includes('Softmax'))).toBe(false);
  });

  it('attention rollout (every fusion and discard ratio), gradient rollout and Grad-CAM++ rollout (closed and exact)', () => {
    for (const [key, fusion, discardRatio] of [['mean-0', 'mean', 0], ['max-0.5', 'max', 0.5], ['min-0.25', 'min', 0.25], ['mean-0.9', 'mean', 0.9]] as const) {
      expectClose(attentionRollout(m, x, { fusion, discardRatio }).map.data, mapOf(`rollout_${key}`), 1e-10, 1e-10);
    }
    const g = gradientRollout(m, x, { target: io.classes });
    expectClose(g.map.data, mapOf('gradient_rollout'), 1e-10, 1e-10);
    expectClose(g.scores, [io.get('logits').data[1]!, io.get('logits').data[5]!], 1e-10, 1e-10);
    expectClose(gradCamPlusPlusRollout(m, x, { target: io.classes }).map.data, mapOf('gradcampp_rollout_closed'), 1e-10, 1e-10);
    // Exact: image 0 alone (every diagonal entry of every block is a pass of its own here).
    const exact = gradCamPlusPlusRollout(m, slice(x, [[0, 1]]), { target: io.classes.slice(0, 1), exact: true });
    expectClose(exact.map.data, mapOf('gradcampp_rollout_exact').slice(0, 16), 1e-10, 1e-10);
  });

  it('smoothed rollout draws the same noisy copies as on camlab\'s own ViT', () => {
    const opts = { target: io.classes, samples: 3, noise: 0.2, seed: 4 };
    expectClose(smoothGradientRollout(m, x, opts).map.data, values(smoothGradientRollout(tinyVit(), x, opts).map), 1e-12, 1e-10);
  });
});

describe('which imported graphs the rollout methods apply to', () => {
  const rollouts = METHOD_DESCRIPTORS.filter((d) => d.appliesTo === 'transformer');

  it('a ViT export: every rollout method; a CNN export: none, with one line naming both', () => {
    expect(rollouts.length).toBeGreaterThanOrEqual(4);
    for (const d of rollouts) expect(whyNotApplicable(d, vitFile('vit-tiny.onnx'))).toBeNull();
    // What the web page's worker and camlab eval offer for the model.
    expect(applicableMethods(vitFile('vit-tiny.onnx')).map((d) => d.name)).toEqual(expect.arrayContaining(rollouts.map((d) => d.name)));
    const cnn = loadFixture('resnet18.onnx');
    expect(whyNotApplicable(rollouts[0]!, cnn)).toMatch(/applies to transformers .* and OnnxModel\(.*\) is not one/);
    expect(errorOf(() => attentionLayers(cnn))).toMatch(/rollout: the model \(OnnxModel\(.*\)\) has no attention layers/);
  });

  it('a layer name with :attn that is no attention Softmax fails naming it', () => {
    expect(errorOf(() => vitFile('vit-tiny.onnx').get('encoder.layers.encoder_layer_0.ln_1:attn'))).toMatch(/is not the attention probabilities/);
  });
});
