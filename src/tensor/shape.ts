import { fail, shapeStr } from './errors.js';

export type Shape = readonly number[];

/** Checks a shape: every dimension an integer >= 1 (camlab has no empty tensors). */
export function checkShape(op: string, shape: readonly unknown[]): number[] {
  if (!Array.isArray(shape)) fail(op, `shape must be an array of integers, got ${String(shape)}`);
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d)) {
      fail(op, `shape ${fmtUnknownShape(shape)} has a non-integer dimension ${i} (${String(d)})`);
    }
    if (d < 1) {
      fail(op, `shape ${fmtUnknownShape(shape)} has dimension ${i} of size ${d}; sizes must be >= 1 (empty tensors are not supported)`);
    }
    out.push(d);
  }
  return out;
}

function fmtUnknownShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(',')}]`;
}

/** Number of elements of a shape: the product of its dimensions (1 for []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** True when a and b have the same rank and dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast (dimension ${i - n} is ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalizes one axis (negative counts from the end). */
export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    fail(op, `axis ${axis} is out of range for a tensor with ${ndim} dimensions`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalizes a list of axes (undefined = all), sorted and without repeats. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const seen = new Set<number>();
  for (const a of list) {
    const n = normAxis(op, a, ndim);
    if (seen.has(n)) fail(op, `axis ${a} is repeated in [${list.join(',')}]`);
    seen.add(n);
  }
  return [...seen].sort((x, y) => x - y);
}
