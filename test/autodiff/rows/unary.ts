import fc from 'fast-check';
import { expect } from 'vitest';
import { grad } from '../../../src/autodiff/grad.js';
import { requiresGrad } from '../../../src/autodiff/node.js';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { sum } from '../../../src/autodiff/ops/reduce.js';
import {
  abs, cast, erf, exp, gelu, log, neg, reciprocal, relu, reluBackward, sigmoid, softplus, sqrt, square, tanh,
} from '../../../src/autodiff/ops/unary.js';
import { randn, tensor } from '../../../src/tensor/create.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { anyTensorArb, checkAllOrders, tensorArb, values, type ValueKind } from '../../support/ad.js';
import { expectClose, runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

const UNARY: ReadonlyArray<[string, (x: Tensor) => Tensor, ValueKind]> = [
  ['neg', neg, 'smooth'],
  ['abs', abs, 'awayFromZero'],
  ['exp', exp, 'smooth'],
  ['log', log, 'positive'],
  ['sqrt', sqrt, 'positive'],
  ['square', square, 'smooth'],
  ['reciprocal', reciprocal, 'positive'],
  ['relu', relu, 'awayFromZero'],
  ['sigmoid', sigmoid, 'smooth'],
  ['tanh', tanh, 'smooth'],
  ['softplus', softplus, 'smooth'],
  ['erf', erf, 'smooth'],
  ['gelu', gelu, 'smooth'],
];

type Unary = (x: Tensor) => Tensor;

/** Gradcheck rows of the unary ops (run by test/autodiff/ops-unary.test.ts). */
export const UNARY_ROWS: GradTable = {
  title: 'unary ops: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    ...UNARY.map(([name, op, kind]) => row(`${name} (${kind} inputs)`, { [name]: op }, (ops) => {
      const f = ops[name] as Unary;
      fc.assert(
        fc.property(anyTensorArb(kind), (x) => {
          checkAllOrders(f, [x]);
        }),
        runs(30),
      );
    })),

    row('reciprocal on negative inputs and abs/relu inside a product (non-trivial Hessians)', { reciprocal, abs, relu }, ({ reciprocal, abs, relu }) => {
      fc.assert(
        fc.property(anyTensorArb('awayFromZero'), (x) => {
          checkAllOrders((t) => reciprocal(t), [x]);
          checkAllOrders((t) => mul(abs(t), relu(t)), [x]);
          checkAllOrders((t) => mul(t, relu(t)), [x]);
        }),
        runs(8),
      );
    }),

    row("reluBackward g·[x > 0]: linear in g with x's mask a constant, alone and times g", { reluBackward }, ({ reluBackward }) => {
      fc.assert(
        fc.property(anyTensorArb('awayFromZero').chain((x) => fc.tuple(fc.constant(x), tensorArb(x.shape))), ([x, g]) => {
          checkAllOrders((t) => reluBackward(t, x), [g]);
          checkAllOrders((t) => mul(reluBackward(t, x), t), [g]);
        }),
        runs(20),
      );
    }),

    row('compositions: tanh(exp(x))·sigmoid(x), gelu(softplus(x)), log(sqrt(x))·erf(x)', { tanh, exp, neg, sigmoid, gelu, softplus, log, sqrt, erf }, ({ tanh, exp, neg, sigmoid, gelu, softplus, log, sqrt, erf }) => {
      fc.assert(
        fc.property(anyTensorArb('positive'), (x) => {
          checkAllOrders((t) => mul(tanh(exp(neg(t))), sigmoid(t)), [x]);
          checkAllOrders((t) => gelu(softplus(t)), [x]);
          checkAllOrders((t) => mul(log(sqrt(t)), erf(t)), [x]);
        }),
        runs(6),
      );
    }),

    row('larger inputs in random-direction mode', Object.fromEntries(UNARY.map(([name, op]) => [name, op])), (ops) => {
      const x = randn([6, 7], { rng: 11 });
      const pos = tensor(values(x).map((v) => 0.5 + Math.abs(v) / 2), { shape: [6, 7] });
      for (const [name, , kind] of UNARY) {
        const input = kind === 'positive' ? pos : kind === 'awayFromZero' ? tensor(values(x).map((v) => (v < 0 ? v - 0.1 : v + 0.1)), { shape: [6, 7] }) : x;
        const reports = checkAllOrders(ops[name] as Unary, [input], { mode: 'random', seed: 3 });
        for (const r of reports) expect(r.mode, name).toBe('random');
      }
    }),

    row('cast: float64 → float32 → float64 is differentiable and the gradient keeps each dtype', { cast }, ({ cast }) => {
      fc.assert(
        fc.property(anyTensorArb('positive'), (x) => {
          // float32 rounding inside the function: finite differences need a coarse step.
          checkAllOrders((t) => mul(cast(cast(t, 'float32'), 'float64'), t), [x], { eps: 1e-3, atol: 1e-3, rtol: 1e-3 });
        }),
        runs(6),
      );
      const x = requiresGrad(tensor([1.5, -2]));
      const y = cast(x, 'float32');
      expect(y.dtype).toBe('float32');
      const [g] = grad(sum(mul(y, y)), x);
      expect(g!.dtype).toBe('float64');
      expectClose(g!.data, [3, -4]);
      const x32 = requiresGrad(tensor([1.5], { dtype: 'float32' }));
      const [g32] = grad(sum(cast(x32, 'float64')), x32);
      expect(g32!.dtype).toBe('float32');
      expect(cast(x, 'float64')).toBe(x);
    }),
  ],
};
