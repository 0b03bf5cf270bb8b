import { kernels } from './backend.js';
import { allocate, promote, type FloatArray } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { detExp, detLog1p, detLogAny, detTanh } from './detmath.js';
import { erfScalar } from './special.js';
import { Tensor } from './tensor.js';

/** −x. */
export function neg(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = -v;
  }
  return new Tensor(o, x.shape);
}

/** |x|. */
export function abs(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = Math.abs(v);
  }
  return new Tensor(o, x.shape);
}

/** sign(x) ∈ {−1, 0, 1} (0 at 0). */
export function sign(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = +(v > 0) - +(v < 0); // branch-free (random signs would mispredict)
  }
  return new Tensor(o, x.shape);
}

/** e^x. */
export function exp(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = detExp(v);
  }
  return new Tensor(o, x.shape);
}

/** Natural logarithm (−Infinity at 0, NaN below). */
export function log(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = detLogAny(v);
  }
  return new Tensor(o, x.shape);
}

/** √x. */
export function sqrt(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = Math.sqrt(v);
  }
  return new Tensor(o, x.shape);
}

/** x². */
export function square(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = v * v;
  }
  return new Tensor(o, x.shape);
}

/** 1 / x. */
export function reciprocal(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = 1 / v;
  }
  return new Tensor(o, x.shape);
}

/** max(x, 0); relu(0) = 0; NaN propagates (as in `maximum`). */
export function relu(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  if (kernels().relu(a, o)) return new Tensor(o, x.shape);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    // Branch-free v·[v > 0] (+0 turns −0 into 0; −∞ would give −∞·0 = NaN, so it is mapped first,
    // a branch that is always predicted). NaN stays NaN.
    o[i] = (v === -Infinity ? 0 : v) * +(v > 0) + 0;
  }
  return new Tensor(o, x.shape);
}

/**
 * relu's VJP in one pass: g · [x > 0] (0 where x ≤ 0 or x is NaN), the same bits as
 * mul(g, gt(x, 0)). g and x have the same shape.
 */
export function reluBackward(g: Tensor, x: Tensor): Tensor {
  if (g.ndim !== x.ndim || g.shape.some((d, i) => d !== x.shape[i])) fail('reluBackward', `gradient ${shapeStr(g.shape)} and input ${shapeStr(x.shape)} differ in shape`);
  const o = allocate(promote(g.dtype, x.dtype), g.size);
  if (o instanceof Float32Array) maskPositive32(o, g.data, x.data);
  else maskPositive64(o, g.data, x.data);
  return new Tensor(o, g.shape);
}

// One loop per output dtype keeps each monomorphic.
function maskPositive32(o: Float32Array, g: FloatArray, x: FloatArray): void {
  for (let i = 0; i < o.length; i++) o[i] = g[i]! * +(x[i]! > 0);
}

function maskPositive64(o: Float64Array, g: FloatArray, x: FloatArray): void {
  for (let i = 0; i < o.length; i++) o[i] = g[i]! * +(x[i]! > 0);
}

/** 1 / (1 + e^−x), evaluated without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v >= 0) {
      o[i] = 1 / (1 + detExp(-v));
    } else {
      const e = detExp(v); // NaN lands here too
      o[i] = e / (1 + e);
    }
  }
  return new Tensor(o, x.shape);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = detTanh(v);
  }
  return new Tensor(o, x.shape);
}

/** log(1 + e^x), stable: max(x,0) + log1p(e^−|x|). */
export function softplus(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = (v > 0 ? v : 0) + detLog1p(detExp(-Math.abs(v)));
  }
  return new Tensor(o, x.shape);
}

/** Error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (about 1e-15 absolute error). */
export function erf(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = erfScalar(v);
  }
  return new Tensor(o, x.shape);
}

/** GELU, exact erf form: x·Φ(x) = x/2 · (1 + erf(x/√2)). */
export function gelu(x: Tensor): Tensor {
  const a = x.data;
  const o = allocate(x.dtype, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    o[i] = 0.5 * v * (1 + erfScalar(v * Math.SQRT1_2));
  }
  return new Tensor(o, x.shape);
}
