import { allocate, isDType, type DType } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { Rng } from './rng.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedNumbers } from './tensor.js';

export interface DTypeOption {
  dtype?: DType;
}

function dt(op: string, opts?: DTypeOption): DType {
  const d = opts?.dtype ?? 'float64';
  if (!isDType(d)) fail(op, `unknown dtype ${String(d)} (use 'float64' or 'float32')`);
  return d;
}

/** A tensor of `shape` filled with 0. */
export function zeros(shape: readonly number[], opts?: DTypeOption): Tensor {
  return zerosAs('zeros', shape, opts);
}

/** zeros, with errors (shape, dtype) naming `op`. */
function zerosAs(op: string, shape: readonly number[], opts?: DTypeOption): Tensor {
  const s = checkShape(op, shape);
  return new Tensor(allocate(dt(op, opts), sizeOf(s)), s);
}

/** A tensor of `shape` filled with 1. */
export function ones(shape: readonly number[], opts?: DTypeOption): Tensor {
  return full(shape, 1, opts);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, opts?: DTypeOption): Tensor {
  const s = checkShape('full', shape);
  if (typeof value !== 'number') fail('full', `value must be a number, got ${String(value)}`);
  const data = allocate(dt('full', opts), sizeOf(s));
  data.fill(value);
  return new Tensor(data, s);
}

/** A 0-d tensor holding `value`. */
export function scalar(value: number, opts?: DTypeOption): Tensor {
  return full([], value, opts);
}

/** Zeros with x's shape and dtype. */
export function zerosLike(x: Tensor): Tensor {
  return new Tensor(allocate(x.dtype, x.size), x.shape);
}

/** `value` everywhere, with x's shape and dtype. */
export function fullLike(x: Tensor, value: number): Tensor {
  return full(x.shape, value, { dtype: x.dtype });
}

/**
 * A tensor from nested arrays (`[[1,2],[3,4]]`), or from a flat array / typed array plus `shape`.
 * Nested input must be rectangular.
 */
export function tensor(
  values: NestedNumbers | ArrayLike<number>,
  opts?: DTypeOption & { shape?: readonly number[] },
): Tensor {
  const dtype = dt('tensor', opts);
  if (opts?.shape !== undefined) {
    const s = checkShape('tensor', opts.shape);
    const flat = typeof values === 'number' ? [values] : flattenNested(values as NestedNumbers);
    if (flat.length !== sizeOf(s)) {
      fail('tensor', `${flat.length} values do not fill shape ${shapeStr(s)} (${sizeOf(s)} elements)`);
    }
    const data = allocate(dtype, flat.length);
    data.set(flat);
    return new Tensor(data, s);
  }
  const shape: number[] = [];
  let probe: unknown = values;
  while (isArrayLike(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = typeof values === 'number' ? [values] : flattenNested(values as NestedNumbers, shape);
  const data = allocate(dtype, flat.length);
  data.set(flat);
  return new Tensor(data, checkShape('tensor', shape));
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}

function flattenNested(values: NestedNumbers | ArrayLike<number>, shape?: number[]): number[] {
  const out: number[] = [];
  // The index path of the element being visited, formatted (`[1][0]`) only for an error message.
  const at: number[] = [];
  const path = (): string => at.map((i) => `[${i}]`).join('');
  const walk = (v: unknown, dim: number): void => {
    if (isArrayLike(v)) {
      if (shape !== undefined && dim >= shape.length) fail('tensor', `nested array is ragged: element ${path()} is an array where a number was expected`);
      if (shape !== undefined && v.length !== shape[dim]) {
        fail('tensor', `nested array is ragged: element ${path() || '[]'} has length ${v.length}, expected ${String(shape[dim])}`);
      }
      for (let i = 0; i < v.length; i++) {
        at.push(i);
        walk(v[i], dim + 1);
        at.pop();
      }
      return;
    }
    if (shape !== undefined && dim !== shape.length) fail('tensor', `nested array is ragged at ${path()}`);
    if (typeof v !== 'number') fail('tensor', `value at ${path() || 'root'} is not a number: ${String(v)}`);
    out.push(v);
  };
  walk(values, 0);
  return out;
}

/** Values start, start+step, ... below stop (like numpy.arange). */
export function arange(start: number, stop?: number, step = 1, opts?: DTypeOption): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) fail('arange', `step must be finite and non-zero, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(stop)) fail('arange', `start and stop must be finite, got ${start} and ${stop}`);
  const n = Math.ceil((stop - start) / step);
  if (!(n >= 1)) fail('arange', `range start=${start} stop=${stop} step=${step} is empty`);
  const data = allocate(dt('arange', opts), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** n evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, n: number, opts?: DTypeOption): Tensor {
  if (!Number.isInteger(n) || n < 1) fail('linspace', `count must be a positive integer, got ${n}`);
  const data = allocate(dt('linspace', opts), n);
  for (let i = 0; i < n; i++) data[i] = n === 1 ? start : start + ((stop - start) * i) / (n - 1);
  if (n > 1) data[n - 1] = stop; // exactly stop, as numpy.linspace (the formula can be an ulp off)
  return new Tensor(data, [n]);
}

/** Identity matrix n x m (m defaults to n). */
export function eye(n: number, m = n, opts?: DTypeOption): Tensor {
  const s = checkShape('eye', [n, m]);
  const data = allocate(dt('eye', opts), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, s);
}

export interface RandomOptions extends DTypeOption {
  /** A seed or a generator to draw from (a generator advances). */
  rng: Rng | number;
}

function rngOf(r: Rng | number): Rng {
  return typeof r === 'number' ? new Rng(r) : r;
}

/** Uniform samples in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number }): Tensor {
  const t = zerosAs('rand', shape, opts);
  const g = rngOf(opts.rng);
  const lo = opts.low ?? 0;
  const hi = opts.high ?? 1;
  if (!(hi > lo)) fail('rand', `high (${hi}) must exceed low (${lo})`);
  // lo + (hi − lo)·u can round up to hi (always possible in float32): redraw those rare samples.
  const round = t.dtype === 'float32' ? Math.fround : (v: number): number => v;
  if (!(round(lo) < hi)) fail('rand', `no ${t.dtype} value lies in [${lo}, ${hi})`);
  for (let i = 0; i < t.size; i++) {
    let v = round(lo + (hi - lo) * g.uniform());
    while (v >= hi) v = round(lo + (hi - lo) * g.uniform());
    t.data[i] = v;
  }
  return t;
}

/** Normal samples N(mean, std²). */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number }): Tensor {
  const t = zerosAs('randn', shape, opts);
  const g = rngOf(opts.rng);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  if (!(std >= 0)) fail('randn', `std must be >= 0, got ${std}`);
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * g.normal();
  return t;
}

/** A copy in another dtype (or the same tensor if it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const data = allocate(dtype, x.size);
  data.set(x.data);
  return new Tensor(data, x.shape);
}

/** A fresh copy of the data. */
export function clone(x: Tensor): Tensor {
  return new Tensor(x.data.slice(), x.shape);
}
