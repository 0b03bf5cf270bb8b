import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multiheadSelfAttention, MultiheadAttention, type AttentionWeights } from '../../src/nn/attention.js';
import { LayerNorm, layerNorm } from '../../src/nn/layernorm.js';
import { patchesToTokens, prependClassToken, tokensToGrid } from '../../src/nn/tokens.js';
import { EncoderBlock, VisionTransformer } from '../../src/nn/vit.js';
import { expand } from '../../src/tensor/movement.js';
import { randn, tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { checkAllOrders, tensorArb, values } from '../support/ad.js';
import { errorOf, expectClose, runs } from '../support/check.js';

/** Plain loops: y = (x − μ)/√(σ² + eps)·γ + β over the last `k` elements of each row. */
function refLayerNorm(x: number[], k: number, gamma: number[] | null, beta: number[] | null, eps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length; r += k) {
    const row = x.slice(r, r + k);
    const mu = row.reduce((s, v) => s + v, 0) / k;
    const v = row.reduce((s, u) => s + (u - mu) ** 2, 0) / k;
    row.forEach((u, i) => out.push(((u - mu) / Math.sqrt(v + eps)) * (gamma?.[i] ?? 1) + (beta?.[i] ?? 0)));
  }
  return out;
}

/** Plain loops for one image x [T, D]: per head h, P = softmax(q_h k_hᵀ/√d), out = concat(P v_h) W_outᵀ + b_out. */
function refAttention(x: number[], t: number, dim: number, heads: number, w: { inW: number[]; inB: number[]; outW: number[]; outB: number[] }): { out: number[]; p: number[] } {
  const d = dim / heads;
  const proj = (row: number, j: number): number => w.inB[j]! + Array.from({ length: dim }, (_, c) => x[row * dim + c]! * w.inW[j * dim + c]!).reduce((a, b) => a + b, 0);
  const ctx = new Array<number>(t * dim).fill(0);
  const p: number[] = [];
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < t; i++) {
      const s = Array.from({ length: t }, (_, j) => Array.from({ length: d }, (_, c) => proj(i, h * d + c) * proj(j, dim + h * d + c)).reduce((a, b) => a + b, 0) / Math.sqrt(d));
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      const row = e.map((v) => v / z);
      p.push(...row);
      for (let c = 0; c < d; c++) ctx[i * dim + h * d + c] = row.reduce((acc, pj, j) => acc + pj * proj(j, 2 * dim + h * d + c), 0);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < t; i++) for (let o = 0; o < dim; o++) out.push(w.outB[o]! + Array.from({ length: dim }, (_, c) => ctx[i * dim + c]! * w.outW[o * dim + c]!).reduce((a, b) => a + b, 0));
  return { out, p };
}

/** Attention weights for width `dim` from a seed, scaled so the softmax is neither flat nor saturated. */
function weightsFor(dim: number, seed: number): AttentionWeights {
  const rng = new Rng(seed);
  return {
    inProjWeight: randn([3 * dim, dim], { rng, std: 0.6 }),
    inProjBias: randn([3 * dim], { rng, std: 0.3 }),
    outProjWeight: randn([dim, dim], { rng, std: 0.6 }),
    outProjBias: randn([dim], { rng, std: 0.3 }),
  };
}

describe('LayerNorm', () => {
  // [label, input shape, normalized shape, affine]
  const ROWS: ReadonlyArray<[string, number[], number[], boolean]> = [
    ['last axis, affine', [2, 3], [3], true],
    ['last axis, no affine', [3, 4], [4], false],
    ['two trailing axes, affine', [2, 2, 2], [2, 2], true],
  ];

  for (const [label, shape, norm, affine] of ROWS) {
    it(`${label}: values against plain loops, and gradcheck at orders 1-3`, () => {
      const n = norm.reduce((a, b) => a * b, 1);
      fc.assert(fc.property(tensorArb(shape, 'distinct'), tensorArb(norm), tensorArb(norm), (x, g, b) => {
        const y = layerNorm(x, norm, affine ? g : null, affine ? b : null, 1e-5);
        expectClose(y.data, refLayerNorm(values(x), n, affine ? values(g) : null, affine ? values(b) : null, 1e-5), 1e-12, 1e-12);
        if (affine) checkAllOrders((xx, gg, bb) => layerNorm(xx!, norm, gg!, bb!, 1e-5), [x, g, b]);
        else checkAllOrders((xx) => layerNorm(xx!, norm, null, null, 1e-5), [x]);
      }), runs(3));
    });
  }

  it('as a module: γ = 1, β = 0 at init, torch key names, eps and errors', () => {
    const ln = new LayerNorm(3, { eps: 1e-6 });
    expect(ln.kind).toBe('LayerNorm');
    expect([...ln.stateDict().keys()]).toEqual(['weight', 'bias']);
    expect(values(ln.stateDict().get('weight')!)).toEqual([1, 1, 1]);
    expect(ln.describe()).toBe('LayerNorm(3, eps=0.000001)');
    expect([...new LayerNorm(3, { elementwiseAffine: false }).stateDict().keys()]).toEqual([]);
    const x = tensor([[1, 2, 4], [0, 0, 3]]);
    expectClose(ln.call(x).data, refLayerNorm(values(x), 3, null, null, 1e-6), 1e-12, 1e-12);
    expect(errorOf(() => ln.call(tensor([[1, 2]])))).toMatch(/layerNorm: input \[1,2\] does not end in the normalized shape \[3\]/);
    expect(errorOf(() => new LayerNorm(3, { eps: 0 }))).toMatch(/eps must be a positive number, got 0/);
    expect(errorOf(() => new LayerNorm([2, 0]))).toMatch(/normalized shape must be positive integers, got \[2,0\]/);
  });
});

describe('MultiheadAttention', () => {
  it('values and probabilities equal plain loops (2 images, 3 tokens, width 4, 2 heads)', () => {
    const w = weightsFor(4, 1);
    const x = randn([2, 3, 4], { rng: 2 });
    const seen: Tensor[] = [];
    const y = multiheadSelfAttention(x, 2, w, (p) => {
      seen.push(p);
      return p;
    });
    const ref = { inW: values(w.inProjWeight), inB: values(w.inProjBias!), outW: values(w.outProjWeight), outB: values(w.outProjBias!) };
    for (let n = 0; n < 2; n++) {
      const r = refAttention(values(x).slice(n * 12, (n + 1) * 12), 3, 4, 2, ref);
      expectClose(values(y).slice(n * 12, (n + 1) * 12), r.out, 1e-12, 1e-12);
      expectClose(values(seen[0]!).slice(n * 18, (n + 1) * 18), r.p, 1e-14, 1e-12);
    }
    expect([...seen[0]!.shape]).toEqual([2, 2, 3, 3]);
  });

  it('gradcheck at orders 1-3 w.r.t. the tokens and every projection', () => {
    fc.assert(fc.property(tensorArb([1, 3, 4]), fc.integer({ min: 0, max: 1000 }), (x, seed) => {
      const w = weightsFor(4, seed);
      checkAllOrders((xx, a, b, c, d) => multiheadSelfAttention(xx!, 2, { inProjWeight: a!, inProjBias: b!, outProjWeight: c!, outProjBias: d! }),
        [x, w.inProjWeight, w.inProjBias!, w.outProjWeight, w.outProjBias!]);
    }), runs(2));
  });

  it('gradcheck at orders 1-3 through the attention tap when it replaces the probabilities', () => {
    const w = weightsFor(4, 3);
    const x = randn([1, 3, 4], { rng: 4 });
    const p = tensor(Array.from({ length: 18 }, (_, i) => 0.2 + ((i * 7) % 5) / 10), { shape: [1, 2, 3, 3] });
    checkAllOrders((pp, xx) => multiheadSelfAttention(xx!, 2, w, () => pp!), [p, x]);
  });

  it('the module: torch keys, zero biases at init, a hookable `attn` whose replacement may carry a larger batch', () => {
    const mha = new MultiheadAttention(4, 2, { rng: new Rng(5) });
    expect(mha.kind).toBe('MultiheadAttention');
    expect([...mha.stateDict().keys()]).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(values(mha.stateDict().get('in_proj_bias')!).every((v) => v === 0)).toBe(true);
    expect(values(mha.outProj.bias!).every((v) => v === 0)).toBe(true);
    const bound = Math.sqrt(6 / 16); // Xavier-uniform of [12, 4]
    expect(values(mha.stateDict().get('in_proj_weight')!).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(mha.describe()).toBe('MultiheadAttention(4, heads=2)');
    expect(mha.attn.kind).toBe('AttentionProbabilities');
    expect(mha.get('attn')).toBe(mha.attn);

    const x = randn([1, 3, 4], { rng: 6 });
    const single = mha.call(x);
    let probs: Tensor | null = null;
    const h = mha.attn.registerForwardHook((p) => {
      probs = p;
      return expand(p, [3, 2, 3, 3]); // three copies
    });
    const copies = mha.call(x);
    h.remove();
    expect([...probs!.shape]).toEqual([1, 2, 3, 3]);
    for (let r = 0; r < 6; r++) expect(values(probs!).slice(r * 3, r * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect([...copies.shape]).toEqual([3, 3, 4]);
    for (let b = 0; b < 3; b++) expectClose(values(copies).slice(b * 12, (b + 1) * 12), values(single), 0, 0);

    const bad = mha.attn.registerForwardHook(() => randn([1, 2, 3, 2], { rng: 1 }));
    expect(errorOf(() => mha.call(x))).toMatch(/replaced attention probabilities must be \[B,2,3,3\], got \[1,2,3,2\]/);
    bad.remove();
    expect(errorOf(() => mha.call(randn([1, 3, 5], { rng: 1 })))).toMatch(/MultiheadAttention: expects tokens \[N,T,4\], got \[1,3,5\]/);
    expect(errorOf(() => new MultiheadAttention(6, 4))).toMatch(/number of heads must be a positive integer dividing the embedding width 6, got 4/);
  });

  it('attention dropout acts in training only, after the tap', () => {
    const mha = new MultiheadAttention(4, 2, { rng: new Rng(7), dropout: 0.5 });
    const x = randn([1, 3, 4], { rng: 8 });
    const seen: number[][] = [];
    mha.attn.registerForwardHook((p) => void seen.push(values(p)));
    const evalOut = mha.eval().call(x);
    const trainOut = mha.train().call(x);
    expect(seen[0]).toEqual(seen[1]); // the tap sees the probabilities before dropout
    expect(values(trainOut)).not.toEqual(values(evalOut));
    expect(mha.describe()).toBe('MultiheadAttention(4, heads=2, dropout=0.5)');
  });
});

describe('tokens and the ViT modules', () => {
  it('patchesToTokens and tokensToGrid are inverse, with the class token first and dropped', () => {
    const grid = randn([2, 3, 2, 4], { rng: 9 }); // [N, D, h, w]
    const tokens = patchesToTokens(grid);
    expect([...tokens.shape]).toEqual([2, 8, 3]);
    // Token t of image n is the patch at (⌊t/4⌋, t mod 4); its features are the D channels there.
    expect(tokens.data[(1 * 8 + 5) * 3 + 2]).toBe(grid.data[((1 * 3 + 2) * 2 + 1) * 4 + 1]);
    const cls = tensor([[[7, 8, 9]]]);
    const withCls = prependClassToken(tokens, cls);
    expect([...withCls.shape]).toEqual([2, 9, 3]);
    expect(values(withCls).slice(27, 30)).toEqual([7, 8, 9]);
    expect(values(tokensToGrid(withCls, [2, 4]))).toEqual(values(grid));
    expect(errorOf(() => tokensToGrid(withCls))).toMatch(/8 patch tokens are not a square grid; pass the grid \[h, w\]/);
    expect(errorOf(() => tokensToGrid(withCls, [3, 3]))).toMatch(/8 patch tokens of \[2,9,3\] do not fill a 3x3 grid/);
    expect(errorOf(() => prependClassToken(tokens, tensor([[1, 2, 3]])))).toMatch(/needs tokens \[N,T,D\] and a class token \[1,1,D\]/);
    expect([...tokensToGrid(randn([1, 5, 2], { rng: 1 })).shape]).toEqual([1, 2, 2, 2]);
  });

  it('EncoderBlock and VisionTransformer: torchvision names, init, shapes and errors', () => {
    const block = new EncoderBlock(2, 4, 6, { rng: new Rng(1) });
    expect(block.namedChildren().map(([n]) => n)).toEqual(['ln_1', 'self_attention', 'dropout', 'ln_2', 'mlp']);
    expect(block.get('ln_1').describe()).toBe('LayerNorm(4, eps=0.000001)');
    expect(errorOf(() => block.call(randn([3, 4], { rng: 1 })))).toMatch(/EncoderBlock: expects tokens \[N,T,D\], got \[3,4\]/);

    const vit = new VisionTransformer({ imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 4, mlpDim: 6, numClasses: 3, rng: new Rng(2) });
    expect(vit.kind).toBe('VisionTransformer');
    expect(vit.patchGrid).toEqual([2, 2]);
    const sd = vit.stateDict();
    expect([...sd.get('encoder.pos_embedding')!.shape]).toEqual([1, 5, 4]);
    expect(values(sd.get('class_token')!)).toEqual([0, 0, 0, 0]);
    expect(values(sd.get('heads.head.weight')!).every((v) => v === 0)).toBe(true); // torchvision zeroes the classifier
    expect(values(sd.get('conv_proj.bias')!).every((v) => v === 0)).toBe(true);
    expect(values(sd.get('encoder.layers.encoder_layer_0.mlp.0.bias')!).every((v) => v !== 0 && Math.abs(v) < 1e-5)).toBe(true);
    expect([...vit.call(randn([2, 3, 8, 8], { rng: 3 })).shape]).toEqual([2, 3]);
    expect(vit.describe()).toBe('VisionTransformer(image=8, patch=4, layers=1, heads=2, hidden=4, mlp=6, classes=3)');
    const again = new VisionTransformer({ imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 4, mlpDim: 6, numClasses: 3, rng: new Rng(2) });
    expect(values(again.stateDict().get('encoder.pos_embedding')!)).toEqual(values(sd.get('encoder.pos_embedding')!)); // seeded
    expect(errorOf(() => vit.call(randn([1, 3, 8, 4], { rng: 1 })))).toMatch(/VisionTransformer: expects images \[N,3,8,8\], got \[1,3,8,4\]/);
    expect(errorOf(() => new VisionTransformer({ imageSize: 10, patchSize: 4, numLayers: 1, numHeads: 1, hiddenDim: 4, mlpDim: 4 }))).toMatch(/patch size 4 does not divide image size 10/);
    expect(errorOf(() => new VisionTransformer({ imageSize: 8, patchSize: 4, numLayers: 0, numHeads: 1, hiddenDim: 4, mlpDim: 4 }))).toMatch(/numLayers must be a positive integer, got 0/);
  });
});
