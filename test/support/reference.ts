/**
 * Plain, obviously-correct reference implementations and fast-check arbitraries for the tensor
 * kernel tests. Everything here works element by element on multi-indices, with no collapsing,
 * no stride tricks and no shared code with src/tensor (beyond `tensor()` to build inputs).
 */
import fc from 'fast-check';
import { tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { IndexTensor, Tensor } from '../../src/tensor/tensor.js';

/** A tensor as the references see it: a shape and row-major values. */
export interface Ref {
  shape: number[];
  data: number[];
}

/** The kernel tensor holding a reference's values (rounded to `dtype`). */
export function toTensor(r: Ref, dtype: DType = 'float64'): Tensor {
  return tensor(r.data, { shape: r.shape, dtype });
}

/** A reference view of a kernel tensor's (already rounded) values. */
export function refOf(t: Tensor | IndexTensor): Ref {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

export const DTYPE_LIST: readonly DType[] = ['float64', 'float32'];

/** Rounds a double the way storing it into a tensor of `dtype` does. */
export function rounder(dtype: DType): (v: number) => number {
  return dtype === 'float32' ? Math.fround : (v: number) => v;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Multi-index of flat position `flat` in a row-major tensor of `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}

/** Flat row-major position of multi-index `idx` in `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + idx[i]!;
  return flat;
}

/** Every multi-index of `shape`, in row-major order. */
export function allIndices(shape: readonly number[]): number[][] {
  const n = numel(shape);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(unravel(i, shape));
  return out;
}

/** NumPy broadcast of any number of shapes, or null when they are incompatible. */
export function refBroadcastShape(...shapes: (readonly number[])[]): number[] | null {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - n + i;
      const e = k >= 0 ? s[k]! : 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e) return null;
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** The element of an operand of `shape` that the output multi-index `outIdx` reads under broadcasting. */
export function broadcastRead(x: Ref, outIdx: readonly number[]): number {
  const off = outIdx.length - x.shape.length;
  const idx = x.shape.map((d, i) => (d === 1 ? 0 : outIdx[off + i]!));
  return x.data[ravel(idx, x.shape)]!;
}

/** out[idx] = f(a[idx'], b[idx'], ...) with explicit broadcasting, rounded to `dtype`. */
export function refMap(operands: readonly Ref[], f: (...v: number[]) => number, dtype: DType): Ref {
  const shape = refBroadcastShape(...operands.map((o) => o.shape));
  if (shape === null) throw new Error('refMap: shapes do not broadcast');
  const r = rounder(dtype);
  const data = allIndices(shape).map((idx) => r(f(...operands.map((o) => broadcastRead(o, idx)))));
  return { shape, data };
}

/** Normalized, sorted, de-duplicated axes (undefined = all). */
export function refAxes(axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return [...new Set(list.map((a) => (a < 0 ? a + ndim : a)))].sort((p, q) => p - q);
}

/** Output multi-index of input multi-index `idx` when reducing `axes`. */
function reducedIndex(idx: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  idx.forEach((v, i) => {
    if (!axes.includes(i)) out.push(v);
    else if (keepdims) out.push(0);
  });
  return out;
}

export function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/**
 * Generic reduction: visits x in row-major order and folds each element into its output slot.
 * `step(acc, value, flatIndexInX)`; `finish(acc, count)`.
 */
export function refReduce<A>(
  x: Ref,
  axes: readonly number[],
  keepdims: boolean,
  init: () => A,
  step: (acc: A, v: number, flat: number) => A,
  finish: (acc: A, count: number) => number,
): Ref {
  const shape = reducedShape(x.shape, axes, keepdims);
  const accs: A[] = Array.from({ length: numel(shape) }, init);
  const counts = new Array<number>(accs.length).fill(0);
  allIndices(x.shape).forEach((idx, flat) => {
    const o = ravel(reducedIndex(idx, axes, keepdims), shape);
    accs[o] = step(accs[o]!, x.data[flat]!, flat);
    counts[o]!++;
  });
  return { shape, data: accs.map((a, i) => finish(a, counts[i]!)) };
}

/** Builds nested arrays from flat data (the inverse of row-major flattening). */
export function nestRef(data: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return data[0];
  const [d, ...rest] = shape;
  const n = numel(rest);
  return Array.from({ length: d! }, (_, i) => nestRef(data.slice(i * n, (i + 1) * n), rest));
}

// ---------------------------------------------------------------------------------------------
// High-precision erf (BigInt fixed point), for checking erfScalar to ~1e-16.

const FRAC = 256n;
const ONE = 1n << FRAC;
// 2/√π to 60 digits.
const TWO_OVER_SQRT_PI = decimalToFixed('1.12837916709551257389615890312154517168810125865799771368817');

function decimalToFixed(s: string): bigint {
  const [ip, fp = ''] = s.split('.');
  return (BigInt(ip! + fp) * ONE) / 10n ** BigInt(fp.length);
}

/**
 * erf(x) for a double with 2^-8 <= |x| <= 8, exact to far below double precision: the Maclaurin
 * series summed in 256-bit fixed point (x is exactly an integer times 2^-60 in that range).
 */
export function erfHighPrecision(x: number): number {
  if (x === 0) return 0;
  const ax = Math.abs(x);
  if (ax < 2 ** -8 || ax > 8) throw new Error(`erfHighPrecision: |x| = ${ax} outside [2^-8, 8]`);
  const X = BigInt(ax * 2 ** 60); // exact
  const xf = X << (FRAC - 60n);
  const x2 = (X * X) << (FRAC - 120n); // x² in fixed point, exact
  let term = xf; // (−1)^n x^(2n+1)/n!
  let sum = xf;
  for (let n = 1n; n < 400n; n++) {
    term = -((term * x2) >> FRAC) / n;
    const add = term / (2n * n + 1n);
    sum += add;
    if (add === 0n) break;
  }
  const r = (sum * TWO_OVER_SQRT_PI) >> FRAC;
  const v = Number(r >> (FRAC - 64n)) / 2 ** 64;
  return x < 0 ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

export const dtypeArb: fc.Arbitrary<DType> = fc.constantFrom<DType>('float64', 'float32');

/** Shapes of rank minRank..maxRank with dimensions 1..maxDim. */
export function shapeArb(minRank = 0, maxRank = 4, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

export interface ValueOptions {
  min?: number;
  max?: number;
  /** Draw small integers often, so ties and exact zeros occur. */
  ties?: boolean;
}

/** `n` finite values (mixing small integers and arbitrary doubles in [min, max]). */
export function valuesArb(n: number, opts: ValueOptions = {}): fc.Arbitrary<number[]> {
  const min = opts.min ?? -10;
  const max = opts.max ?? 10;
  const dbl = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const small = fc.integer({ min: Math.max(-3, Math.ceil(min)), max: Math.min(3, Math.floor(max)) });
  const v = opts.ties === true ? fc.oneof(small, dbl) : fc.oneof({ arbitrary: dbl, weight: 4 }, { arbitrary: small, weight: 1 });
  return fc.array(v, { minLength: n, maxLength: n });
}

/** A reference tensor with a random shape and values. */
export function refArb(shape: fc.Arbitrary<number[]> = shapeArb(), opts: ValueOptions = {}): fc.Arbitrary<Ref> {
  return shape.chain((s) => valuesArb(numel(s), opts).map((data) => ({ shape: s, data })));
}

/** Values for a fixed shape. */
export function refOfShape(shape: readonly number[], opts: ValueOptions = {}): fc.Arbitrary<Ref> {
  return valuesArb(numel(shape), opts).map((data) => ({ shape: [...shape], data }));
}

/**
 * A shape derived from `full` the way broadcasting partners look: some leading dimensions
 * dropped and some dimensions replaced by 1.
 */
export function partnerShapeArb(full: readonly number[]): fc.Arbitrary<number[]> {
  const drop = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: full.length }));
  const ones = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: full.length, maxLength: full.length });
  return fc.tuple(drop, ones).map(([k, o]) => full.slice(k).map((d, i) => (o[k + i] === 0 ? 1 : d)));
}

/** `count` shapes that broadcast together (ranks 0..4, size-1 and missing leading dimensions). */
export function broadcastShapesArb(count: number, maxRank = 4, maxDim = 4): fc.Arbitrary<number[][]> {
  return shapeArb(0, maxRank, maxDim).chain((full) =>
    fc.tuple(...Array.from({ length: count }, () => partnerShapeArb(full))),
  );
}

/** `count` reference tensors whose shapes broadcast together. */
export function broadcastRefsArb(count: number, opts: ValueOptions = {}): fc.Arbitrary<Ref[]> {
  return broadcastShapesArb(count).chain((shapes) => fc.tuple(...shapes.map((s) => refOfShape(s, opts))));
}

/** A list of distinct axes of an `ndim`-tensor, each possibly written negatively. */
export function axesListArb(ndim: number, minLength = 0): fc.Arbitrary<number[]> {
  if (ndim === 0) return fc.constant([]);
  const all = Array.from({ length: ndim }, (_, i) => i);
  return fc
    .tuple(
      fc.shuffledSubarray(all, { minLength: Math.min(minLength, ndim) }),
      fc.array(fc.boolean(), { minLength: ndim, maxLength: ndim }),
    )
    .map(([axes, negs]) => axes.map((a) => (negs[a]! ? a - ndim : a)));
}

/** Axes in any accepted form: undefined (all), a single number, or a list. */
export function axesArgArb(ndim: number): fc.Arbitrary<number | number[] | undefined> {
  const options: fc.Arbitrary<number | number[] | undefined>[] = [fc.constant(undefined), axesListArb(ndim)];
  if (ndim > 0) options.push(fc.integer({ min: -ndim, max: ndim - 1 }));
  return fc.oneof(...options);
}

/** The prime factors of n in increasing order, with repeats (for generating reshapes). */
export function primeFactors(n: number): number[] {
  const out: number[] = [];
  for (let p = 2; n > 1; p++) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  return out;
}
