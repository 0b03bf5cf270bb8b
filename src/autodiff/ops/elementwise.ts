import * as K from '../../tensor/index.js';
import { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { sumTo } from './reduce.js';
import { log, neg } from './unary.js';

/** A tensor or a plain number (a constant of the other operand's dtype). */
export type Operand = Tensor | number;

/** x as a tensor: a number becomes a 0-d constant of like's dtype (float64 without `like`). */
export function lift(x: Operand, like?: Tensor): Tensor {
  return typeof x === 'number' ? K.scalar(x, { dtype: like?.dtype ?? 'float64' }) : x;
}

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  const ta = lift(a, b instanceof Tensor ? b : undefined);
  const tb = lift(b, ta);
  return [ta, tb];
}

/** a + b (broadcasting). ∂/∂a = g, ∂/∂b = g, each summed back to its operand's shape. */
export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  return record('add', K.add(x, y), [x, y], (g, needs) => [
    needs[0] ? sumTo(g, x.shape) : null,
    needs[1] ? sumTo(g, y.shape) : null,
  ]);
}

/** a − b. ∂/∂b = −Σ g over the broadcast axes (negated after summing: fewer negations, the same value up to the sign of a zero). */
export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  return record('sub', K.sub(x, y), [x, y], (g, needs) => [
    needs[0] ? sumTo(g, x.shape) : null,
    needs[1] ? neg(sumTo(g, y.shape)) : null,
  ]);
}

/** a · b. ∂/∂a = g·b, ∂/∂b = g·a. */
export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  return record('mul', K.mul(x, y), [x, y], (g, needs) => [
    needs[0] ? sumTo(mul(g, y), x.shape) : null,
    needs[1] ? sumTo(mul(g, x), y.shape) : null,
  ]);
}

/** a / b. ∂/∂a = g/b, ∂/∂b = −g·(a/b)/b. */
export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const out = K.div(x, y);
  return record('div', out, [x, y], (g, needs) => [
    needs[0] ? sumTo(div(g, y), x.shape) : null,
    needs[1] ? sumTo(neg(div(mul(g, out), y)), y.shape) : null,
  ]);
}

/** a^b. ∂/∂a = g·b·a^(b−1), ∂/∂b = g·a^b·log a (only computed when b needs a gradient). */
export function pow(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const out = K.pow(x, y);
  return record('pow', out, [x, y], (g, needs) => [
    needs[0] ? sumTo(mul(g, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
    needs[1] ? sumTo(mul(g, mul(out, log(x))), y.shape) : null,
  ]);
}

/**
 * Elementwise max. The gradient goes to the larger operand; at ties it is split in half
 * (as PyTorch's maximum), which keeps max(a,b) + min(a,b) = a + b exact under differentiation.
 */
export function maximum(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  return record('maximum', K.maximum(x, y), [x, y], (g, needs) => splitGrad(g, x, y, K.gt(x, y), needs));
}

/** Elementwise min (ties split the gradient in half). */
export function minimum(a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  return record('minimum', K.minimum(x, y), [x, y], (g, needs) => splitGrad(g, x, y, K.lt(x, y), needs));
}

function splitGrad(g: Tensor, x: Tensor, y: Tensor, wins: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const share = K.add(wins, K.mul(K.eq(x, y), 0.5)); // constant: 1 where x wins, ½ at ties
  return [
    needs[0] ? sumTo(mul(g, share), x.shape) : null,
    needs[1] ? sumTo(mul(g, K.sub(1, share)), y.shape) : null,
  ];
}

/** Select a where cond ≠ 0, else b. cond is a constant mask; gradients flow to the chosen side. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [x, y] = operands(a, b);
  const out = K.where(cond, x, y);
  return record('where', out, [x, y], (g, needs) => [
    needs[0] ? sumTo(where(cond, g, 0), x.shape) : null,
    needs[1] ? sumTo(where(cond, 0, g), y.shape) : null,
  ]);
}

// Comparisons give constant 0/1 masks: they have no gradient, so the kernels serve unchanged.
export { gt, ge, lt, le, eq, ne } from '../../tensor/elementwise.js';
