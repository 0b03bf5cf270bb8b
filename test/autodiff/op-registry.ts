/**
 * The registry of gradcheck rows (like PyTorch's OpInfo database): every table of the op tests,
 * and the ops that are not differentiable by design, each with the reason. The registry test
 * walks every op camlab exports and requires a row (orders 1–3) or an entry here.
 */
import { eq, ge, gt, le, lift, lt, ne } from '../../src/autodiff/ops/elementwise.js';
import { sign } from '../../src/autodiff/ops/unary.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { GradTable, Op } from '../support/grad-rows.js';
import { CONV2D_INPUT_GRAD_ROWS, CONV2D_ROWS, CONV2D_WEIGHT_GRAD_ROWS } from './rows/conv.js';
import { ELEMENTWISE_ROWS } from './rows/elementwise.js';
import { MATMUL_ROWS } from './rows/linalg.js';
import { GATHER_ROWS, MOVEMENT_ROWS } from './rows/movement.js';
import { ADAPTIVE_POOL_ROWS, AVGPOOL_ROWS, MAXPOOL_ROWS, RESIZE_ROWS } from './rows/pool.js';
import { REDUCE_ROWS } from './rows/reduce.js';
import { UNARY_ROWS } from './rows/unary.js';

/** Every gradcheck table (each is run by its ops-*.test.ts file). */
export const GRAD_TABLES: readonly GradTable[] = [
  UNARY_ROWS, ELEMENTWISE_ROWS, REDUCE_ROWS, MOVEMENT_ROWS, GATHER_ROWS, MATMUL_ROWS,
  CONV2D_ROWS, CONV2D_INPUT_GRAD_ROWS, CONV2D_WEIGHT_GRAD_ROWS, MAXPOOL_ROWS, AVGPOOL_ROWS, ADAPTIVE_POOL_ROWS, RESIZE_ROWS,
];

/** An exported op without a derivative by design: why, and a call whose result must carry no graph. */
export interface NonDifferentiable {
  op: Op;
  reason: string;
  probe: (x: Tensor) => Tensor;
}

const COMPARISON = 'a comparison: returns a constant 0/1 mask (its derivative is 0 wherever it exists)';

export const NOT_DIFFERENTIABLE: Readonly<Record<string, NonDifferentiable>> = {
  sign: { op: sign, reason: 'piecewise constant: its derivative is 0 wherever it exists (abs and relu use it as a constant mask)', probe: (x) => sign(x) },
  gt: { op: gt, reason: COMPARISON, probe: (x) => gt(x, 0) },
  ge: { op: ge, reason: COMPARISON, probe: (x) => ge(x, 0) },
  lt: { op: lt, reason: COMPARISON, probe: (x) => lt(x, 0) },
  le: { op: le, reason: COMPARISON, probe: (x) => le(x, 0) },
  eq: { op: eq, reason: COMPARISON, probe: (x) => eq(x, 0) },
  ne: { op: ne, reason: COMPARISON, probe: (x) => ne(x, 0) },
  lift: { op: lift, reason: 'not an op: turns a plain number into a constant tensor for the binary ops', probe: (x) => lift(2, x) },
};
