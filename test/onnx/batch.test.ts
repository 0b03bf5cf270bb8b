import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import { concat, slice } from '../../src/autodiff/ops/movement.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { splitAt } from '../../src/cam/split.js';
import { add, mul } from '../../src/tensor/elementwise.js';
import { randn } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { expectClose } from '../support/check.js';
import { loadFixture, reference } from './support/fixtures.js';

// A model exported with batch 1 must run any batch: Score-CAM feeds batches of masked images, and
// exact Grad-CAM++ feeds the layers after the target B copies of one activation. vit.dynamic.onnx
// keeps torch's shape arithmetic (Shape → Gather → Concat → Reshape), which camlab folds at load
// while tracking which entries are the batch; vit.onnx (static export) has the batch baked into
// its reshapes, so camlab runs it one image at a time.
const ref = reference('vit');
const x = ref.get('input');
const batch = concat([x, mul(x, 0.5), add(mul(x, -1), 0.25)], 0);

function perImage(m: OnnxModel, xs: Tensor): Tensor {
  return concat(Array.from({ length: xs.shape[0]! }, (_, i) => noGrad(() => m.forward(slice(xs, [[i, i + 1]])))), 0);
}

describe.each([
  ['vit.dynamic.onnx', null],
  ['vit.onnx', /Reshape '\/Reshape': cannot reshape \[2,16,4,4\]/],
] as const)('%s runs any batch', (file, fixed) => {
  const m = loadFixture(file, { dtype: 'float64' });

  it(fixed === null ? 'at once (the folded batch entries follow the run-time batch)' : 'in chunks of its export batch (and says why)', () => {
    if (fixed === null) expect(m.batchFixed).toBeNull();
    else expect(m.batchFixed).toMatch(fixed);
  });

  it('a batch of 3 different images equals 3 single-image runs', () => {
    const y = noGrad(() => m.forward(batch));
    expect([...y.shape]).toEqual([3, 10]);
    expectClose(y.data, perImage(m, batch).data, 1e-12, 1e-10);
  });

  it('the head after ln_1 takes a batch of 4 different activations for one image', () => {
    const split = splitAt(m, x, ref.layer);
    const a = split.activation;
    const copies = concat([0, 1, 2, 3].map((k) => add(a, randn(a.shape, { rng: k, std: 0.1, dtype: 'float64' }))), 0);
    const together = noGrad(() => split.head(copies));
    expect([...together.shape]).toEqual([4, 10]);
    const alone = concat([0, 1, 2, 3].map((k) => noGrad(() => split.head(slice(copies, [[k, k + 1]])))), 0);
    expectClose(together.data, alone.data, 1e-12, 1e-10);
  });
});

describe('batch tracking', () => {
  it('folding leaves the dynamic export the tensor ops torch left in the static one, plus the class token expanded to the batch', () => {
    const ops = (f: string): string[] => [...new Set(loadFixture(f).layers().map((l) => l.op))].sort();
    expect(ops('vit.dynamic.onnx')).toEqual([...ops('vit.onnx'), 'Expand'].sort());
    expect(ops('vit.dynamic.onnx')).not.toContain('Shape');
  });

  it('exact Grad-CAM++ agrees between the batch-tracked and the one-image-at-a-time ViT', () => {
    const opts = { layer: ref.layer, target: ref.cls, exact: { batchSize: 64 } };
    const dynamic = gradCamPlusPlus(loadFixture('vit.dynamic.onnx', { dtype: 'float64' }), x, opts);
    const fixed = gradCamPlusPlus(loadFixture('vit.onnx', { dtype: 'float64' }), x, opts);
    expectClose(dynamic.weights!.data, fixed.weights!.data, 1e-12, 1e-9);
  });

  it('CNN exports run any batch at once', () => {
    for (const f of ['resnet18.onnx', 'densenet121.onnx', 'convnext_tiny.onnx', 'squeezenet1_1.opset11.onnx']) expect(loadFixture(f).batchFixed).toBeNull();
  });
});
