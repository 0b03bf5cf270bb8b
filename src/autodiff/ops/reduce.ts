import * as K from '../../tensor/index.js';
import { normAxes, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { mul, sub } from './elementwise.js';
import { gather } from './indexing.js';
import { reshape } from './movement.js';
import { exp } from './unary.js';

export type Axes = K.Axes;
export type ReduceOptions = K.ReduceOptions;

/** Shape of a reduction's result with the reduced axes kept as 1. */
function keptShape(op: string, x: Tensor, axes: Axes | undefined): number[] {
  const ax = normAxes(op, axes, x.ndim);
  return x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
}

/** Undoes a reduction's shape change: reshape g to the kept shape, then broadcast to x. */
function spread(op: string, g: Tensor, x: Tensor, axes: Axes | undefined): Tensor {
  return expand(reshape(g, keptShape(op, x, axes)), x.shape);
}

/** Σ over axes. ∂ = g broadcast back over the summed axes. */
export function sum(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return record('sum', K.sum(x, axes, opts), [x], (g) => [spread('sum', g, x, axes)]);
}

/** Mean over axes. ∂ = g/n broadcast back (scaled before it is broadcast: the same values, n times fewer products). */
export function mean(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  const out = K.mean(x, axes, opts);
  const n = x.size / out.size;
  return record('mean', out, [x], (g) => [spread('mean', mul(g, 1 / n), x, axes)]);
}

/** Max over axes, as a gather of the winners: the gradient goes to the first maximum. */
export function max(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return gather(x, K.extremeWithIndices('max', x, axes, opts).indices);
}

/** Min over axes (gradient to the first minimum). */
export function min(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  return gather(x, K.extremeWithIndices('min', x, axes, opts).indices);
}

/** log Σ exp over axes. ∂ = g·exp(x − lse), the softmax, on the live output. */
export function logsumexp(x: Tensor, axes?: Axes, opts?: ReduceOptions): Tensor {
  const out = K.logsumexp(x, axes, opts);
  return record('logsumexp', out, [x], (g) => {
    const lse = spread('logsumexp', out, x, axes);
    return [mul(spread('logsumexp', g, x, axes), exp(sub(x, lse)))];
  });
}

/** softmax along an axis. ∂ = s ⊙ (g − Σ g⊙s) on the live output s. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const out = K.softmax(x, axis);
  return record('softmax', out, [x], (g) => [mul(out, sub(g, sum(mul(g, out), axis, { keepdims: true })))]);
}

/** log-softmax along an axis. ∂ = g − exp(out)·Σ g. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const out = K.logSoftmax(x, axis);
  return record('logSoftmax', out, [x], (g) => [sub(g, mul(exp(out), sum(g, axis, { keepdims: true })))]);
}

/** Sums x down to a shape it was broadcast from (the adjoint of expand). */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  return record('sumTo', K.sumTo(x, shape), [x], (g) => [expand(g, x.shape)]);
}

/** Broadcasts x to shape (NumPy rules). ∂ = sumTo(g, x.shape). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  return record('expand', K.expand(x, shape), [x], (g) => [sumTo(g, x.shape)]);
}
