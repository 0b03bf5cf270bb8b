import * as K from '../../tensor/index.js';
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';
import { add, div, mul, sub } from './elementwise.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_2PI = 0.3989422804014327;

/** −x. */
export function neg(x: Tensor): Tensor {
  return record('neg', K.neg(x), [x], (g) => [neg(g)]);
}

/** |x|. ∂ = g·sign(x), with |x|'(0) = 0. */
export function abs(x: Tensor): Tensor {
  return record('abs', K.abs(x), [x], (g) => [mul(g, K.sign(x))]);
}

/** sign(x): piecewise constant, so its gradient is zero (returned as a constant). */
export function sign(x: Tensor): Tensor {
  return K.sign(x);
}

/** e^x. ∂ = g·e^x, reusing the live output. */
export function exp(x: Tensor): Tensor {
  const out = K.exp(x);
  return record('exp', out, [x], (g) => [mul(g, out)]);
}

/** log x. ∂ = g/x. */
export function log(x: Tensor): Tensor {
  return record('log', K.log(x), [x], (g) => [div(g, x)]);
}

/** √x. ∂ = g/(2√x). */
export function sqrt(x: Tensor): Tensor {
  const out = K.sqrt(x);
  return record('sqrt', out, [x], (g) => [div(g, mul(out, 2))]);
}

/** x². ∂ = 2·g·x. */
export function square(x: Tensor): Tensor {
  return record('square', K.square(x), [x], (g) => [mul(g, mul(x, 2))]);
}

/** 1/x. ∂ = −g/x². */
export function reciprocal(x: Tensor): Tensor {
  const out = K.reciprocal(x);
  return record('reciprocal', out, [x], (g) => [neg(mul(g, square(out)))]);
}

/** max(x, 0). ∂ = g·[x > 0] with a constant mask (relu'(0) = 0), so every higher derivative is 0. */
export function relu(x: Tensor): Tensor {
  return record('relu', K.relu(x), [x], (g) => [reluBackward(g, x)]);
}

/**
 * relu's VJP g·[x > 0]: linear in g, with the mask of x a constant (no gradient flows to x, whose
 * derivative is 0 wherever it exists). ∂/∂g = reluBackward(h, x), so the pair closes at every order.
 */
export function reluBackward(g: Tensor, x: Tensor): Tensor {
  return record('reluBackward', K.reluBackward(g, x), [g], (h) => [reluBackward(h, x)]);
}

/** σ(x) = 1/(1+e^−x). ∂ = g·σ(1−σ) on the live output. */
export function sigmoid(x: Tensor): Tensor {
  const out = K.sigmoid(x);
  return record('sigmoid', out, [x], (g) => [mul(g, mul(out, sub(1, out)))]);
}

/** tanh x. ∂ = g·(1 − tanh²x) on the live output. */
export function tanh(x: Tensor): Tensor {
  const out = K.tanh(x);
  return record('tanh', out, [x], (g) => [mul(g, sub(1, square(out)))]);
}

/** softplus(x) = log(1+e^x). ∂ = g·σ(x). */
export function softplus(x: Tensor): Tensor {
  return record('softplus', K.softplus(x), [x], (g) => [mul(g, sigmoid(x))]);
}

/** erf x. ∂ = g·(2/√π)·e^(−x²). */
export function erf(x: Tensor): Tensor {
  return record('erf', K.erf(x), [x], (g) => [mul(g, mul(exp(neg(square(x))), TWO_OVER_SQRT_PI))]);
}

/** GELU x·Φ(x) (erf form). ∂ = g·(Φ(x) + x·φ(x)), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(−x²/2)/√(2π). */
export function gelu(x: Tensor): Tensor {
  return record('gelu', K.gelu(x), [x], (g) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
    return [mul(g, add(cdf, mul(x, pdf)))];
  });
}

/** A copy in another dtype; the gradient is cast back to the input's dtype. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return record('cast', K.cast(x, dtype), [x], (g) => [cast(g, x.dtype)]);
}
