import { allocate, promote, type FloatArray } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Checks that `p` holds one value per channel of x (axis 1) in the broadcast shape [1, C, 1, …]
 * of x's rank, as batch norm's reshaped statistics are.
 */
export function checkChannelParam(op: string, what: string, x: Tensor, p: Tensor): void {
  if (x.ndim < 2) fail(op, `input must have a channel axis (rank >= 2), got ${shapeStr(x.shape)}`);
  const C = x.shape[1]!;
  if (p.ndim !== x.ndim || p.shape.some((d, i) => d !== (i === 1 ? C : 1))) {
    fail(op, `${what} must have shape [1,${C}${',1'.repeat(x.ndim - 2)}] (one value per channel of input ${shapeStr(x.shape)}), got ${shapeStr(p.shape)}`);
  }
}

/**
 * Batch norm's per-channel affine map in one pass: y = (x − m_c) · s_c + b_c for x [N, C, …]
 * and m, s, b of shape [1, C, 1, …]. Each of the three operations is rounded to the result's
 * dtype, so y has the same bits as add(mul(sub(x, m), s), b).
 */
export function channelAffine(x: Tensor, m: Tensor, s: Tensor, b: Tensor): Tensor {
  const op = 'channelAffine';
  checkChannelParam(op, 'mean', x, m);
  checkChannelParam(op, 'scale', x, s);
  checkChannelParam(op, 'shift', x, b);
  const dtype = promote(promote(x.dtype, m.dtype), promote(s.dtype, b.dtype));
  const out = allocate(dtype, x.size);
  const N = x.shape[0]!;
  const C = x.shape[1]!;
  const plane = x.size / (N * C);
  if (out instanceof Float32Array) affine32(out, x.data, m.data, s.data, b.data, N, C, plane);
  else affine64(out, x.data, m.data, s.data, b.data, N, C, plane);
  return new Tensor(out, x.shape);
}

// One loop per output dtype keeps each monomorphic; float32 rounds after every operation.
function affine32(o: Float32Array, x: FloatArray, m: FloatArray, s: FloatArray, b: FloatArray, N: number, C: number, plane: number): void {
  const f = Math.fround;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mc = m[c]!;
      const sc = s[c]!;
      const bc = b[c]!;
      const at = (n * C + c) * plane;
      for (let i = at; i < at + plane; i++) o[i] = f(f(x[i]! - mc) * sc) + bc;
    }
  }
}

function affine64(o: Float64Array, x: FloatArray, m: FloatArray, s: FloatArray, b: FloatArray, N: number, C: number, plane: number): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const mc = m[c]!;
      const sc = s[c]!;
      const bc = b[c]!;
      const at = (n * C + c) * plane;
      for (let i = at; i < at + plane; i++) o[i] = (x[i]! - mc) * sc + bc;
    }
  }
}
