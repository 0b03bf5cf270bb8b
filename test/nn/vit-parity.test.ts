/**
 * PyTorch parity of the Vision Transformer: torchvision 0.14's VisionTransformer with seeded float64
 * weights (scripts/vit-fixtures.py → test/fixtures/vit/), loaded unchanged into camlab's.
 */
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { totalScore, targetsFor } from '../../src/cam/target.js';
import { clone } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { buildModule } from '../../src/nn/layer-kinds.js';
import { VisionTransformer } from '../../src/nn/vit.js';
import { expectTensorClose } from '../support/check.js';
import { stemVit, tinyVit, tinyVitIo, tinyVitWeights } from '../support/vit.js';

const TOL = 1e-10;
const io = tinyVitIo();
const BLOCKS = [0, 1];

function expectLike(actual: Tensor, name: string): void {
  const ref = io.get(name);
  expectTensorClose(actual, ref.shape, ref.data, TOL, TOL);
}

/** One forward pass with the input as a leaf and each block's ln_1 output and attention captured (graph tensors). */
function hookedForward(): { x: Tensor; logits: Tensor; ln1: Tensor[]; attn: Tensor[] } {
  const model = tinyVit();
  const ln1: Tensor[] = [];
  const attn: Tensor[] = [];
  const handles = BLOCKS.flatMap((i) => [
    model.get(`encoder.layers.encoder_layer_${i}.ln_1`).registerForwardHook((out) => void ln1.push(out)),
    model.get(`encoder.layers.encoder_layer_${i}.self_attention.attn`).registerForwardHook((out) => void attn.push(out)),
  ]);
  const x = requiresGrad(clone(io.get('x')));
  const logits = model.call(x);
  for (const h of handles) h.remove();
  return { x, logits, ln1, attn };
}

describe('VisionTransformer matches torchvision (tiny ViT, float64)', () => {
  it('loads the torchvision state dict with every key and shape in place (strict)', () => {
    const model = tinyVit();
    const sd = tinyVitWeights();
    const own = model.stateDict();
    expect([...own.keys()].sort()).toEqual([...sd.keys()].sort());
    expect(own.has('encoder.layers.encoder_layer_1.mlp.3.weight')).toBe(true);
    expect(own.has('encoder.layers.encoder_layer_0.self_attention.in_proj_weight')).toBe(true);
    for (const [k, t] of sd) expect(Array.from(own.get(k)!.data), k).toEqual(Array.from(t.data));
  });

  it('logits equal PyTorch to 1e-10', () => {
    expectLike(tinyVit().call(io.get('x')), 'logits');
  });

  it("each block's attention probabilities equal MultiheadAttention(need_weights=True, average_attn_weights=False)", () => {
    const { attn } = hookedForward();
    expect(attn.length).toBe(2);
    BLOCKS.forEach((i) => expectLike(attn[i]!, `attn_${i}`));
  });

  it('gradients of the class scores w.r.t. the input, each ln_1 output and each attention equal PyTorch', () => {
    const { x, logits, ln1, attn } = hookedForward();
    const s = totalScore(logits, targetsFor(io.classes, logits));
    const [gx, ...rest] = grad(s, [x, ...ln1, ...attn]);
    expectLike(gx!, 'grad_x');
    BLOCKS.forEach((i) => {
      expectLike(rest[i]!, `grad_ln1_${i}`);
      expectLike(rest[BLOCKS.length + i]!, `grad_attn_${i}`);
    });
  });

  it('is a function of a replaced attention: the fixture attention substituted by a hook gives the same logits', () => {
    const model = tinyVit();
    const h = model.get('encoder.layers.encoder_layer_0.self_attention.attn').registerForwardHook(() => io.get('attn_0'));
    expectLike(model.call(io.get('x')), 'logits');
    h.remove();
  });
});

describe('VisionTransformer with a convolutional stem matches torchvision (conv_stem_configs, float64)', () => {
  it('loads strictly (conv_bn_relu_{i}.{0,1}, conv_last), and logits and ∂S/∂x equal PyTorch to 1e-10', () => {
    const { model, io, classes } = stemVit();
    expect(model.stateDict().has('conv_proj.conv_bn_relu_1.1.running_var')).toBe(true);
    expect(model.stateDict().has('conv_proj.conv_last.bias')).toBe(true);
    expect(model.describe()).toBe('VisionTransformer(image=16, patch=4, layers=2, heads=2, hidden=8, mlp=12, classes=3, conv stem=4/3/1,6/3/2,6/3/2)');
    const x = requiresGrad(clone(io.get('x')!));
    const logits = model.call(x);
    expectTensorClose(logits, io.get('logits')!.shape, io.get('logits')!.data, TOL, TOL);
    const [gx] = grad(totalScore(logits, targetsFor(classes, logits)), x);
    expectTensorClose(gx!, io.get('grad_x')!.shape, io.get('grad_x')!.data, TOL, TOL);
  });

  it('a model spec names the stem: { type: VisionTransformer, convStem: [{ out, kernel, stride }] } builds the same network', () => {
    const { model, io } = stemVit();
    const built = buildModule({
      type: 'VisionTransformer', imageSize: 16, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 8, mlpDim: 12, numClasses: 3,
      convStem: [{ out: 4, stride: 1 }, { out: 6, kernel: 3, stride: 2 }, { out: 6, stride: 2 }],
    });
    built.loadStateDict(model.stateDict());
    expectTensorClose(built.eval().call(io.get('x')!), io.get('logits')!.shape, io.get('logits')!.data, TOL, TOL);
    expect(() => buildModule({ type: 'VisionTransformer', imageSize: 4, patchSize: 2, numLayers: 1, numHeads: 1, hiddenDim: 2, mlpDim: 2, convStem: [{ out: 2, stride: 0 }] }))
      .toThrow(/^model spec: architecture.convStem\[0\].stride must be a positive integer, got 0$/);
  });

  it('a stem whose strides do not make the patch size is refused in one line', () => {
    expect(() => new VisionTransformer({ imageSize: 16, patchSize: 4, numLayers: 1, numHeads: 1, hiddenDim: 2, mlpDim: 2, convStem: [{ out: 2, stride: 2 }] }))
      .toThrow(/^VisionTransformer: the conv stem's strides multiply to 2, not the patch size 4$/);
  });
});
