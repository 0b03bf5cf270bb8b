import type { FloatArray } from './dtype.js';
import { fail } from './errors.js';

/**
 * What a layer does to a convolution's output before anyone reads it, applied while the output is
 * still in the kernel's hands (inference: no graph needs the intermediate values). Per element of
 * channel c, in this order, each step rounded to the output's dtype as the separate op would:
 *   v ← v + bias[c];  v ← (v − mean[c])·scale[c] + shift[c];  v ← v + residual[i];  v ← relu(v).
 * So a fused layer gives the same bits as conv2d followed by add, channelAffine, add and relu.
 * Every array has the output's dtype (per-channel ones hold O values).
 */
export interface ConvEpilogue {
  bias?: FloatArray;
  affine?: { mean: FloatArray; scale: FloatArray; shift: FloatArray };
  /** [N, O, OH, OW], the output's shape. */
  residual?: FloatArray;
  relu?: boolean;
}

/** Bit flags of the steps an epilogue has (the wasm kernels are specialized per combination). */
export const EPILOGUE_BIAS = 1;
export const EPILOGUE_AFFINE = 2;
export const EPILOGUE_RESIDUAL = 4;
export const EPILOGUE_RELU = 8;

export function epilogueFlags(ep: ConvEpilogue): number {
  return (ep.bias ? EPILOGUE_BIAS : 0) | (ep.affine ? EPILOGUE_AFFINE : 0) | (ep.residual ? EPILOGUE_RESIDUAL : 0) | (ep.relu ? EPILOGUE_RELU : 0);
}

/** Checks an epilogue against the output (O channels, `size` elements, its array type). */
export function checkEpilogue(op: string, ep: ConvEpilogue, out: FloatArray, O: number): void {
  const same = (what: string, a: FloatArray, n: number): void => {
    if (a.constructor !== out.constructor) fail(op, `epilogue ${what} must be a ${out.constructor.name} like the output`);
    if (a.length !== n) fail(op, `epilogue ${what} has ${a.length} values, the output needs ${n}`);
  };
  if (ep.bias) same('bias', ep.bias, O);
  if (ep.affine) for (const k of ['mean', 'scale', 'shift'] as const) same(k, ep.affine[k], O);
  if (ep.residual) same('residual', ep.residual, out.length);
}

/** Applies the epilogue in place to out [N, O, plane] (the JS kernels' way; the wasm kernels do it in their memory). */
export function applyEpilogue(out: FloatArray, ep: ConvEpilogue, O: number, plane: number): void {
  if (epilogueFlags(ep) === 0) return;
  if (out instanceof Float32Array) epilogue32(out, ep, O, plane);
  else epilogue64(out, ep, O, plane);
}

const ZERO = new Float64Array(1);

// One loop per dtype keeps each monomorphic; float32 rounds after every operation.
function epilogue32(o: Float32Array, ep: ConvEpilogue, O: number, plane: number): void {
  const f = Math.fround;
  const { bias, affine, residual } = ep;
  const relu = ep.relu === true;
  const r = residual ?? ZERO;
  for (let p = 0; p < o.length / plane; p++) {
    const c = p % O;
    const b = bias ? bias[c]! : 0;
    const m = affine ? affine.mean[c]! : 0;
    const s = affine ? affine.scale[c]! : 0;
    const t = affine ? affine.shift[c]! : 0;
    for (let i = p * plane; i < (p + 1) * plane; i++) {
      let v = o[i]!;
      if (bias) v = f(v + b);
      if (affine) v = f(f(f(v - m) * s) + t);
      if (residual) v = f(v + r[i]!);
      if (relu) v = (v === -Infinity ? 0 : v) * +(v > 0) + 0;
      o[i] = v;
    }
  }
}

function epilogue64(o: Float64Array, ep: ConvEpilogue, O: number, plane: number): void {
  const { bias, affine, residual } = ep;
  const relu = ep.relu === true;
  const r = residual ?? ZERO;
  for (let p = 0; p < o.length / plane; p++) {
    const c = p % O;
    const b = bias ? bias[c]! : 0;
    const m = affine ? affine.mean[c]! : 0;
    const s = affine ? affine.scale[c]! : 0;
    const t = affine ? affine.shift[c]! : 0;
    for (let i = p * plane; i < (p + 1) * plane; i++) {
      let v = o[i]!;
      if (bias) v = v + b;
      if (affine) v = (v - m) * s + t;
      if (residual) v = v + r[i]!;
      if (relu) v = (v === -Infinity ? 0 : v) * +(v > 0) + 0;
      o[i] = v;
    }
  }
}
