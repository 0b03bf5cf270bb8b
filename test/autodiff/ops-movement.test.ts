import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { gather, scatterAdd } from '../../src/autodiff/ops/indexing.js';
import { concat, pad, permute, reshape, slice } from '../../src/autodiff/ops/movement.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { ones, randn, tensor } from '../../src/tensor/create.js';
import { indices } from '../../src/tensor/indexing.js';
import { values } from '../support/ad.js';
import { expectClose } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { GATHER_ROWS, MOVEMENT_ROWS } from './rows/movement.js';

runGradTable(MOVEMENT_ROWS);
runGradTable(GATHER_ROWS);

describe('gather and scatterAdd (a pair closed under VJPs)', () => {
  it('gather VJP = scatterAdd (repeated indices accumulate) and scatterAdd VJP = gather', () => {
    const x = requiresGrad(tensor([10, 20, 30]));
    const idx = indices([2, 0, 2, 2], [2, 2]);
    const y = gather(x, idx);
    expect([...y.shape]).toEqual([2, 2]);
    expect(values(y)).toEqual([30, 10, 30, 30]);
    const [gx] = grad(y, x, { gradOutputs: tensor([[1, 2], [3, 4]]) });
    expect(values(gx!)).toEqual([2, 0, 8]);
    const g = requiresGrad(tensor([1, 2, 3, 4], { shape: [2, 2] }));
    const s = scatterAdd(g, idx, [3]);
    expect(values(s)).toEqual([2, 0, 8]);
    const [gg] = grad(s, g, { gradOutputs: tensor([5, 6, 7]) });
    expect([...gg!.shape]).toEqual([2, 2]);
    expect(values(gg!)).toEqual([7, 5, 7, 7]);
  });

  it('scatterAdd of values whose shape differs from the index shape (same size) differentiates', () => {
    const g = requiresGrad(tensor([[1, 2], [3, 4]]));
    const s = scatterAdd(g, indices([0, 1, 1, 2]), [3]);
    const [dg] = grad(sum(mul(s, s)), g);
    expect([...dg!.shape]).toEqual([2, 2]);
    expectClose(dg!.data, [2, 10, 10, 8]);
  });
});

describe('movement VJPs are the adjoint maps', () => {
  it('slice ↔ pad, concat → slices, permute → inverse permutation', () => {
    const x = requiresGrad(tensor([[1, 2, 3], [4, 5, 6]]));
    const [gs] = grad(slice(x, [[1, 2], [-2, 3]]), x, { gradOutputs: tensor([[7, 8]]) });
    expect(values(gs!)).toEqual([0, 0, 0, 0, 7, 8]);
    const [gp] = grad(pad(x, [[1, 0]], 9), x, { gradOutputs: tensor([[0, 1, 2, 3], [4, 5, 6, 7]]) });
    expect(values(gp!)).toEqual([1, 2, 3, 5, 6, 7]);
    const y = requiresGrad(tensor([[0], [-1]]));
    const [gx, gy] = grad(concat([x, y], 1), [x, y], { gradOutputs: tensor([[1, 2, 3, 4], [5, 6, 7, 8]]) });
    expect(values(gx!)).toEqual([1, 2, 3, 5, 6, 7]);
    expect(values(gy!)).toEqual([4, 8]);
    const z = requiresGrad(randn([2, 3, 4], { rng: 1 }));
    const [gz] = grad(permute(z, [1, 2, 0]), z, { gradOutputs: tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [3, 4, 2] }) });
    // gz[i,j,k] = v[j,k,i] = (j·4 + k)·2 + i.
    expect(values(gz!)).toEqual(Array.from({ length: 24 }, (_, f) => {
      const i = Math.floor(f / 12);
      const j = Math.floor(f / 4) % 3;
      const k = f % 4;
      return (j * 4 + k) * 2 + i;
    }));
    expect(values(grad(sum(reshape(z, [4, -1])), z)[0]!)).toEqual(values(ones([24])));
  });

  it('identity movements add no graph node', () => {
    const x = requiresGrad(tensor([[1, 2], [3, 4]]));
    expect(reshape(x, [2, 2])).toBe(x);
    expect(permute(x, [0, 1])).toBe(x);
  });
});
