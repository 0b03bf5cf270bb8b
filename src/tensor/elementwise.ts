import { binaryOp, broadcastStrides, type RowKernel } from './broadcast.js';
import { allocate, promote } from './dtype.js';
import { broadcastShapes, sizeOf } from './shape.js';
import { scalar } from './create.js';
import { fail } from './errors.js';
import { Tensor } from './tensor.js';

/** A tensor or a plain number (taken as a 0-d tensor of the other operand's dtype). */
export type Operand = Tensor | number;

function pair(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) return [a, b];
  if (a instanceof Tensor && typeof b === 'number') return [a, scalar(b, { dtype: a.dtype })];
  if (typeof a === 'number' && b instanceof Tensor) return [scalar(a, { dtype: b.dtype }), b];
  if (typeof a === 'number' && typeof b === 'number') return [scalar(a), scalar(b)];
  return fail(op, `operands must be tensors or numbers, got ${typeof a} and ${typeof b}`);
}

function max2(x: number, y: number): number {
  return x > y || x !== x ? x : y;
}

function min2(x: number, y: number): number {
  return x < y || x !== x ? x : y;
}

const addRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! + b[bo + i * bs]!;
};
/** Sum a + b. NumPy broadcasting. */
export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('add', a, b);
  return binaryOp('add', x, y, addRow);
}

const subRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! - b[bo + i * bs]!;
};
/** Difference a − b. NumPy broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('sub', a, b);
  return binaryOp('sub', x, y, subRow);
}

const mulRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! * b[bo + i * bs]!;
};
/** Product a · b. NumPy broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('mul', a, b);
  return binaryOp('mul', x, y, mulRow);
}

const divRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! / b[bo + i * bs]!;
};
/** Quotient a / b (IEEE: x/0 = ±Infinity, 0/0 = NaN). NumPy broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('div', a, b);
  return binaryOp('div', x, y, divRow);
}

const powRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = Math.pow(a[ao + i * as]!, b[bo + i * bs]!);
};
/** Power a^b (Math.pow semantics). NumPy broadcasting. */
export function pow(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('pow', a, b);
  return binaryOp('pow', x, y, powRow);
}

const maximumRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = max2(a[ao + i * as]!, b[bo + i * bs]!);
};
/** Elementwise maximum (NaN propagates). NumPy broadcasting. */
export function maximum(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('maximum', a, b);
  return binaryOp('maximum', x, y, maximumRow);
}

const minimumRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = min2(a[ao + i * as]!, b[bo + i * bs]!);
};
/** Elementwise minimum (NaN propagates). NumPy broadcasting. */
export function minimum(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('minimum', a, b);
  return binaryOp('minimum', x, y, minimumRow);
}

// Comparisons write +(a op b): a branch-free 0/1 (data-dependent branches mispredict half the time).
const gtRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! > b[bo + i * bs]!);
};
/** Mask 1 where a > b, else 0. NumPy broadcasting. */
export function gt(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('gt', a, b);
  return binaryOp('gt', x, y, gtRow);
}

const geRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! >= b[bo + i * bs]!);
};
/** Mask 1 where a >= b, else 0. NumPy broadcasting. */
export function ge(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('ge', a, b);
  return binaryOp('ge', x, y, geRow);
}

const ltRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! < b[bo + i * bs]!);
};
/** Mask 1 where a < b, else 0. NumPy broadcasting. */
export function lt(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('lt', a, b);
  return binaryOp('lt', x, y, ltRow);
}

const leRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! <= b[bo + i * bs]!);
};
/** Mask 1 where a <= b, else 0. NumPy broadcasting. */
export function le(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('le', a, b);
  return binaryOp('le', x, y, leRow);
}

const eqRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! === b[bo + i * bs]!);
};
/** Mask 1 where a === b, else 0. NumPy broadcasting. */
export function eq(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('eq', a, b);
  return binaryOp('eq', x, y, eqRow);
}

const neRow: RowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = +(a[ao + i * as]! !== b[bo + i * bs]!);
};
/** Mask 1 where a !== b, else 0. NumPy broadcasting. */
export function ne(a: Operand, b: Operand): Tensor {
  const [x, y] = pair('ne', a, b);
  return binaryOp('ne', x, y, neRow);
}

/**
 * Select a where cond is non-zero, else b (all three broadcast together). A true select: the
 * unchosen side never leaks NaN or Infinity into the result.
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [x, y] = pair('where', a, b);
  if (!(cond instanceof Tensor)) fail('where', 'condition must be a tensor');
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
  const out = allocate(promote(x.dtype, y.dtype), sizeOf(shape));
  const sc = broadcastStrides(cond.shape, shape);
  const sx = broadcastStrides(x.shape, shape);
  const sy = broadcastStrides(y.shape, shape);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let oc = 0;
  let ox = 0;
  let oy = 0;
  const c = cond.data;
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < out.length; i++) {
    out[i] = c[oc]! !== 0 ? xd[ox]! : yd[oy]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      oc += sc[d]!;
      ox += sx[d]!;
      oy += sy[d]!;
      if (idx[d]! < shape[d]!) break;
      oc -= sc[d]! * shape[d]!;
      ox -= sx[d]! * shape[d]!;
      oy -= sy[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}
