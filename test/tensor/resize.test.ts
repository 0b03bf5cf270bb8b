import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, randn, tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { reshape } from '../../src/tensor/movement.js';
import { resizeBilinear, resizeBilinearAdjoint } from '../../src/tensor/resize.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { absSum, dot, expectClose, runs } from '../support/check.js';

/** PyTorch's upsample_bilinear2d (align_corners=False, output size given), one element at a time. */
function refResize(x: Tensor, OH: number, OW: number): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const src = (dst: number, inSize: number, outSize: number): [number, number, number] => {
    let s = (inSize / outSize) * (dst + 0.5) - 0.5;
    if (s < 0) s = 0;
    const i0 = Math.floor(s);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    return [i0, i1, s - i0];
  };
  const out: number[] = [];
  for (let p = 0; p < N * C; p++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const [h0, h1, lh] = src(oh, H, OH);
        const [w0, w1, lw] = src(ow, W, OW);
        const v = (h: number, w: number): number => x.data[(p * H + h) * W + w]!;
        out.push((1 - lh) * ((1 - lw) * v(h0, w0) + lw * v(h0, w1)) + lh * ((1 - lw) * v(h1, w0) + lw * v(h1, w1)));
      }
  return out;
}



describe('resizeBilinear', () => {
  it('reproduces PyTorch F.interpolate(mode="bilinear", align_corners=False)', () => {
    // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), size=(4, 4), mode='bilinear', align_corners=False)
    expect(resizeBilinear(tensor([[[[1, 2], [3, 4]]]]), [4, 4]).toArray()).toEqual([
      [[[1, 1.25, 1.75, 2], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3, 3.25, 3.75, 4]]],
    ]);
    // Downscaling by 2 averages 2x2 blocks: interpolate(torch.arange(16.).view(1,1,4,4), size=(2,2), ...)
    expect(resizeBilinear(reshape(arange(16), [1, 1, 4, 4]), [2, 2]).toArray()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    // Non-integer ratios: 5 -> 3 samples at 1/3, 2, 11/3; 2 -> 3 clamps at both ends.
    const d = resizeBilinear(reshape(arange(5), [1, 1, 1, 5]), [1, 3]);
    expectClose(d.data, [1 / 3, 2, 11 / 3], 1e-15, 1e-15);
    expect(resizeBilinear(tensor([[[[0, 3]]]]), [1, 3]).toArray()).toEqual([[[[0, 1.5, 3]]]]);
    // Same size is the identity.
    const x = randn([2, 3, 4, 5], { rng: 9 });
    expect(Array.from(resizeBilinear(x, [4, 5]).data)).toEqual(Array.from(x.data));
  });

  it('matches the element-wise reference for random sizes (up and down, H != W) in both dtypes', () => {
    const arb = fc.record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 3 }),
      H: fc.integer({ min: 1, max: 7 }),
      W: fc.integer({ min: 1, max: 7 }),
      OH: fc.integer({ min: 1, max: 11 }),
      OW: fc.integer({ min: 1, max: 11 }),
      dtype: fc.constantFrom<DType>('float64', 'float32'),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(arb, ({ N, C, H, W, OH, OW, dtype, seed }) => {
        const x = randn([N, C, H, W], { rng: seed, dtype });
        const y = resizeBilinear(x, [OH, OW]);
        expect([...y.shape]).toEqual([N, C, OH, OW]);
        expect(y.dtype).toBe(dtype);
        const ref = refResize(x, OH, OW);
        const f32 = dtype === 'float32';
        expectClose(y.data, f32 ? ref.map(Math.fround) : ref, f32 ? 1e-6 : 1e-14, f32 ? 1e-6 : 1e-14);
      }),
      runs(200),
    );
  });

  it('resizeBilinearAdjoint is the exact transpose', () => {
    const arb = fc.record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: 2 }),
      H: fc.integer({ min: 1, max: 7 }),
      W: fc.integer({ min: 1, max: 7 }),
      OH: fc.integer({ min: 1, max: 11 }),
      OW: fc.integer({ min: 1, max: 11 }),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(arb, ({ N, C, H, W, OH, OW, seed }) => {
        const x = randn([N, C, H, W], { rng: seed });
        const g = randn([N, C, OH, OW], { rng: seed + 1 });
        const y = resizeBilinear(x, [OH, OW]);
        const dx = resizeBilinearAdjoint(g, x.shape);
        expect([...dx.shape]).toEqual([...x.shape]);
        expect(Math.abs(dot(g.data, y.data) - dot(dx.data, x.data))).toBeLessThanOrEqual(1e-13 * (absSum(g.data, y.data) + absSum(dx.data, x.data)));
      }),
      runs(200),
    );
  });

  it('names the op and the shapes in errors', () => {
    const x = randn([1, 3, 4, 4], { rng: 1 });
    expect(() => resizeBilinear(randn([3, 4, 4], { rng: 1 }), [2, 2])).toThrow('resizeBilinear: input must be 4-D [N,C,H,W], got [3,4,4]');
    expect(() => resizeBilinear(x, [0, 2])).toThrow('resizeBilinear: size must be a pair of positive integers [oh, ow], got [0,2]');
    expect(() => resizeBilinear(x, [2.5, 2])).toThrow('resizeBilinear: size must be a pair of positive integers');
    expect(() => resizeBilinearAdjoint(randn([1, 2, 8, 8], { rng: 1 }), [1, 3, 4, 4])).toThrow(
      'resizeBilinearAdjoint: gradient [1,2,8,8] and inputShape [1,3,4,4] differ in batch or channels',
    );
    expect(() => resizeBilinearAdjoint(randn([1, 3, 8, 8], { rng: 1 }), [1, 3, 4])).toThrow('resizeBilinearAdjoint: inputShape must be 4-D [N,C,H,W], got [1,3,4]');
  });
});
