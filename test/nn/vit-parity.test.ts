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
import { expectTensorClose } from '../support/check.js';
import { tinyVit, tinyVitIo, tinyVitWeights } from '../support/vit.js';

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
