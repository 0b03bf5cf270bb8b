/**
 * The rollout recurrences: a two-block case worked by hand, head fusion and discarding, and the
 * PyTorch reference of scripts/vit-fixtures.py (rollouts written from the papers in torch).
 */
import { describe, expect, it } from 'vitest';
import { discardLowest, fuseHeads } from '../../src/cam/rollout/fusion.js';
import { gradCamPlusPlusRolloutMatrix, gradientRolloutMatrix, rolloutAlpha, rolloutMap, rolloutMatrix, type AttentionTerms } from '../../src/cam/rollout/rollout.js';
import { tensor } from '../../src/tensor/create.js';
import { mul } from '../../src/tensor/elementwise.js';
import { slice } from '../../src/tensor/movement.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { values } from '../support/ad.js';
import { errorOf, expectClose, expectTensorClose } from '../support/check.js';
import { tinyVitIo } from '../support/vit.js';

// Two blocks, two heads, three tokens (class token + a 1x2 patch grid); every row sums to 1.
const A1 = tensor([[
  [[0.5, 0.25, 0.25], [0, 1, 0], [0.5, 0, 0.5]],
  [[0.25, 0.25, 0.5], [0, 0.5, 0.5], [0.5, 0.5, 0]],
]]);
const A2 = tensor([[
  [[0, 0.5, 0.5], [0.5, 0.5, 0], [1, 0, 0]],
  [[1, 0, 0], [0, 0, 1], [0, 0.5, 0.5]],
]]);
// ∂S/∂A: head 0 of block 1 is 2 except −2 at [0, 2]; head 1 is −1; block 2 is 0 on head 0, 4 on head 1.
const G1 = tensor([[
  [[2, 2, -2], [2, 2, 2], [2, 2, 2]],
  [[-1, -1, -1], [-1, -1, -1], [-1, -1, -1]],
]]);
const G2 = tensor([[
  [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
  [[4, 4, 4], [4, 4, 4], [4, 4, 4]],
]]);
const GRID: [number, number] = [1, 2];

function closedTerms(g: Tensor): AttentionTerms {
  return { d1: g, d2: mul(g, g), d3: mul(mul(g, g), g) };
}

describe('rollout by hand (two blocks, two heads, three tokens)', () => {
  it('attention rollout, mean fusion', () => {
    // Â₁ + I = [[1.375,.25,.375],[0,1.75,.25],[.5,.25,1.25]], rows sum to 2 → Ã₁ = that / 2;
    // Ã₂ = ([[.5,.25,.25],[.25,.25,.5],[.5,.25,.25]] + I)/2; row 0 of Ã₂Ã₁ = [.546875, .21875, .234375].
    const r = rolloutMatrix([A1, A2]);
    expectClose(values(r.blocks[0]!), [0.6875, 0.125, 0.1875, 0, 0.875, 0.125, 0.25, 0.125, 0.625], 1e-15, 0);
    expectClose(values(r.rollout).slice(0, 3), [0.546875, 0.21875, 0.234375], 1e-15, 0);
    expectTensorClose(rolloutMap(r.rollout, GRID), [1, 1, 2], [0.21875, 0.234375], 1e-15, 0);
    for (let i = 0; i < 3; i++) expect(values(r.rollout).slice(3 * i, 3 * i + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
  });

  it('attention rollout, max fusion', () => {
    // Ã₁ = [[2/3,1/9,2/9],[0,.8,.2],[.2,.2,.6]], Ã₂ = [[2/3,1/6,1/6],[1/6,1/2,1/3],[1/3,1/6,1/2]]:
    // row 0 of Ã₂Ã₁ = [43/90, 13/54, 38/135].
    const r = rolloutMatrix([A1, A2], { fusion: 'max' });
    expectClose(values(r.rollout).slice(0, 3), [43 / 90, 13 / 54, 38 / 135], 1e-15, 0);
  });

  it('gradient rollout (Chefer et al.): R ← R + mean_h (∇A ⊙ A)⁺ R', () => {
    // Ā₁ = A₁ head 0 with [0,2] clipped to 0 (head 1's products are negative): [[.5,.25,0],[0,1,0],[.5,0,.5]];
    // Ā₂ = 2·A₂ head 1. R₁ = I + Ā₁; row 0 of R₁ + Ā₂R₁ = 3·[1.5,.25,0] = [4.5,.75,0].
    const r = gradientRolloutMatrix([A1, A2], [G1, G2]);
    expectClose(values(r.blocks[0]!), [0.5, 0.25, 0, 0, 1, 0, 0.5, 0, 0.5], 0, 0);
    expectClose(values(r.rollout).slice(0, 3), [4.5, 0.75, 0], 1e-15, 0);
    expectTensorClose(rolloutMap(r.rollout, GRID), [1, 1, 2], [0.75, 0], 1e-15, 0);
  });

  it('Grad-CAM++ rollout, closed form: α = 1/(2 + g) on softmax rows, 0 where 2g² + g³ = 0', () => {
    // Block 1: g = 2 → α = 1/4, term α·2·A = A/2 (0 at [0,2], where g = −2 makes the denominator 0);
    // head 1 has ReLU(g) = 0. Ā₁ = A₁ head 0 / 4 with [0,2] = 0. Block 2: head 0 has g = 0 → α = 0;
    // head 1 α = 1/6, term (2/3)·A → Ā₂ = A₂ head 1 / 3. Row 0 of R = (1 + 1/3)·[1.125, .0625, 0].
    const r = gradCamPlusPlusRolloutMatrix([A1, A2], [closedTerms(G1), closedTerms(G2)]);
    expectClose(values(r.alpha[0]!).slice(0, 9), [0.25, 0.25, 0, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25], 1e-15, 0);
    expectClose(values(r.alpha[0]!).slice(9), new Array<number>(9).fill(1), 1e-15, 0);
    expectClose(values(r.blocks[0]!), [0.125, 0.0625, 0, 0, 0.25, 0, 0.125, 0, 0.125], 1e-15, 0);
    expectClose(values(r.rollout).slice(0, 3), [1.5, 1 / 12, 0], 1e-15, 0);
  });

  it('rolloutAlpha uses the row sums ΣA (not 1) when the attention is not a softmax', () => {
    const a = tensor([[[[2, 2], [1, 0]]]]);
    const g = tensor([[[[1, 1], [1, 1]]]]);
    // α = g²/(2g² + ΣA·g³): rows sum to 4 and 1 → 1/6 and 1/3.
    expectClose(values(rolloutAlpha(a, mul(g, g), g)), [1 / 6, 1 / 6, 1 / 3, 1 / 3], 1e-15, 0);
  });
});

describe('head fusion and discarding', () => {
  it('fuses heads by mean, max and min', () => {
    expectClose(values(fuseHeads(A1, 'mean')).slice(0, 3), [0.375, 0.25, 0.375], 0, 0);
    expectClose(values(fuseHeads(A1, 'max')).slice(0, 3), [0.5, 0.25, 0.5], 0, 0);
    expectClose(values(fuseHeads(A1, 'min')).slice(0, 3), [0.25, 0.25, 0.25], 0, 0);
    expect(errorOf(() => fuseHeads(A1, 'median' as never))).toMatch(/head fusion must be 'mean', 'max' or 'min', got 'median'/);
    expect(errorOf(() => fuseHeads(tensor([[1, 2]])))).toMatch(/expects attention \[N,H,S,S\], got \[1,2\]/);
  });

  it('zeroes the ⌊r·S²⌋ smallest entries, never the class token on itself, ties to the lower index', () => {
    const f = tensor([[[0.01, 0.5, 0.2], [0.3, 0.02, 0.3], [0.1, 0.3, 0.05]]]);
    // 4 smallest: 0.01 (index 0, kept), 0.02, 0.05, 0.1.
    expect(values(discardLowest(f, 0.45))).toEqual([0.01, 0.5, 0.2, 0.3, 0, 0.3, 0, 0.3, 0]);
    // 6 smallest, the sixth a tie: the 0.3 at index 3 goes before those at 5 and 7.
    expect(values(discardLowest(f, 0.7))).toEqual([0.01, 0.5, 0, 0, 0, 0.3, 0, 0.3, 0]);
    expect(values(discardLowest(f, 0.1))).toEqual(values(f));
    expect(errorOf(() => discardLowest(f, 1))).toMatch(/discard ratio must be in \[0, 1\), got 1/);
  });

  it('says what is wrong with the inputs of the recurrences', () => {
    expect(errorOf(() => rolloutMatrix([]))).toMatch(/attention rollout: needs the attention of at least one block/);
    expect(errorOf(() => rolloutMatrix([A1, tensor([[[[1]]]])]))).toMatch(/block 1: expected \[1,2,3,3\] like block 0's attention, got \[1,1,1,1\]/);
    expect(errorOf(() => gradientRolloutMatrix([A1, A2], [G1]))).toMatch(/1 derivative tensors given for 2 blocks/);
    expect(errorOf(() => rolloutMatrix([mul(A1, -2)]))).toMatch(/block 0: a row of Â \+ I sums to <= 0/);
    expect(errorOf(() => rolloutMap(rolloutMatrix([A1]).rollout, [2, 2]))).toMatch(/2 patch tokens of rollout \[1,3,3\] do not fill a 2x2 grid/);
  });
});

describe('rollout matrices equal the PyTorch reference (tiny ViT, 2 images, 1e-10)', () => {
  const io = tinyVitIo();
  const attn = [io.get('attn_0'), io.get('attn_1')];
  const grads = [io.get('grad_attn_0'), io.get('grad_attn_1')];
  const expectLike = (t: Tensor, name: string): void => expectTensorClose(t, io.get(name).shape, io.get(name).data, 1e-10, 1e-10);

  it.each([
    ['mean-0', { fusion: 'mean' as const }],
    ['max-0.5', { fusion: 'max' as const, discardRatio: 0.5 }],
    ['min-0.25', { fusion: 'min' as const, discardRatio: 0.25 }],
    ['mean-0.9', { fusion: 'mean' as const, discardRatio: 0.9 }],
  ])('attention rollout %s', (name, opts) => {
    expectLike(rolloutMatrix(attn, opts).rollout, `rollout_${name}`);
  });

  it('gradient rollout', () => {
    expectLike(gradientRolloutMatrix(attn, grads).rollout, 'gradient_rollout');
  });

  it('Grad-CAM++ rollout, closed form and with the exact diagonals', () => {
    expectLike(gradCamPlusPlusRolloutMatrix(attn, grads.map(closedTerms)).rollout, 'gradcampp_rollout_closed');
    const exact = grads.map((d1, l) => ({ d1, d2: io.get(`d2_${l}`), d3: io.get(`d3_${l}`) }));
    expectLike(gradCamPlusPlusRolloutMatrix(attn, exact).rollout, 'gradcampp_rollout_exact');
    // The exact terms are not the closed form on this smooth head: the maps differ.
    const closedMap = rolloutMap(gradCamPlusPlusRolloutMatrix(attn, grads.map(closedTerms)).rollout, [4, 4]);
    const exactMap = rolloutMap(gradCamPlusPlusRolloutMatrix(attn, exact).rollout, [4, 4]);
    const diff = Math.max(...values(closedMap).map((v, i) => Math.abs(v - exactMap.data[i]!)));
    expect(diff).toBeGreaterThan(0.1);
    expect([...slice(closedMap, [[0, 1]]).shape]).toEqual([1, 4, 4]);
  });
});
