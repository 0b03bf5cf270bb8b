import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { reshape } from '../../src/autodiff/ops/movement.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { AttentionView } from '../../src/nn/attention-view.js';
import { Identity } from '../../src/nn/layers.js';
import { arange } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { values } from '../support/ad.js';
import { errorOf } from '../support/check.js';

// Probabilities of N = 2 images, H = 3 heads, S = 2 tokens, in both layouts exporters write.
const stacked = (): Tensor => arange(0, 24, 1, { dtype: 'float64' });

describe('AttentionView: an imported graph\'s attention probabilities as [N, H, S, S]', () => {
  it.each([
    ['folded [N·H, S, S] (torch.onnx)', [6, 2, 2], true],
    ['[N, H, S, S]', [2, 3, 2, 2], false],
  ] as const)('%s: hooks see [N, H, S, S]; unhooked, the source output goes on unchanged', (_, shape, folded) => {
    const source = new Identity();
    const view = new AttentionView(source, 3, folded, 'test:attention', 'attn');
    const p = reshape(stacked(), [...shape]);
    expect(source.call(p)).toBe(p);
    const seen: Tensor[] = [];
    const h = view.registerForwardHook((a) => void seen.push(a));
    const out = source.call(p);
    h.remove();
    expect([...seen[0]!.shape]).toEqual([2, 3, 2, 2]);
    expect(values(seen[0]!)).toEqual(values(stacked()));
    expect(values(out)).toEqual(values(p));
    expect(source.call(p)).toBe(p); // the view's hook on the source is gone with its last hook
  });

  it('a replacement goes back in the source\'s layout, a larger batch included; gradients flow through the view', () => {
    const source = new Identity();
    const view = new AttentionView(source, 3, true, 'test:attention', 'attn');
    const h = view.registerForwardHook((a) => mul(a, 2));
    const out = source.call(reshape(stacked(), [6, 2, 2]));
    expect([...out.shape]).toEqual([6, 2, 2]);
    expect(values(out)).toEqual(values(stacked()).map((v) => 2 * v));
    h.remove();
    const big = view.registerForwardHook(() => reshape(arange(0, 48, 1, { dtype: 'float64' }), [4, 3, 2, 2]));
    expect([...source.call(reshape(stacked(), [6, 2, 2])).shape]).toEqual([12, 2, 2]);
    big.remove();
    // Unchanged with grad on: the graph continues from the view, so ∂/∂(view) is the true derivative.
    let a: Tensor | null = null;
    const leaf = requiresGrad(stacked());
    const g = view.registerForwardHook((t) => void (a = t));
    const y = sum(mul(source.call(reshape(leaf, [6, 2, 2])), 3));
    g.remove();
    expect(values(grad(y, a!)[0]!)).toEqual(Array(24).fill(3));
  });

  it('bad shapes fail naming the view and both shapes', () => {
    const view = new AttentionView(new Identity(), 3, true, 'test:attention', 'attn');
    expect(errorOf(() => view.call(reshape(stacked(), [4, 3, 2])))).toMatch(/attn: expects attention probabilities \[N·3,S,S\], got \[4,3,2\]/);
    const source = new Identity();
    const v2 = new AttentionView(source, 3, false, 'test:attention', 'attn');
    const h = v2.registerForwardHook(() => reshape(stacked(), [2, 2, 3, 2]));
    expect(errorOf(() => source.call(reshape(stacked(), [2, 3, 2, 2])))).toMatch(/attn: the replacement has shape \[2,2,3,2\], expected \[B,3,2,2\]/);
    h.remove();
    expect(errorOf(() => new AttentionView(source, 0, true, 'k', 'attn'))).toMatch(/heads must be a positive integer, got 0/);
  });
});
