import { dtypeOf, type DType, type FloatArray } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { checkShape, sizeOf, stridesOf, type Shape } from './shape.js';

/** Nested JS arrays of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedNumbers = number | readonly NestedNumbers[];

/**
 * What the autodiff layer attaches to a tensor it computed. The tensor layer only stores it;
 * `src/autodiff` defines the real node type (op name, parents, VJP).
 */
export interface GradNode {
  readonly op: string;
}

/**
 * A dense, row-major, contiguous float tensor. Data is treated as immutable by every op; only
 * optimizers write into parameter storage. Autodiff state (`requiresGrad`, `node`, `grad`) lives
 * here so one tensor type serves both layers.
 */
export class Tensor {
  readonly data: FloatArray;
  readonly shape: Shape;
  readonly dtype: DType;
  /** True for leaves the user marked and for every result computed from them under grad mode. */
  requiresGrad = false;
  /** The graph node that produced this tensor (null for leaves and constants). */
  node: GradNode | null = null;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;

  constructor(data: FloatArray, shape: readonly number[]) {
    const s = checkShape('Tensor', shape);
    if (sizeOf(s) !== data.length) {
      fail('Tensor', `shape ${shapeStr(s)} needs ${sizeOf(s)} elements but the data holds ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze(s);
    this.dtype = dtypeOf(data);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions (0 for a scalar). */
  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) fail('item', `tensor of shape ${shapeStr(this.shape)} has ${this.data.length} elements, not 1`);
    return this.data[0]!;
  }

  /** One element by multi-index (negative indices count from the end). */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      fail('get', `index [${index.join(',')}] has ${index.length} entries for shape ${shapeStr(this.shape)}`);
    }
    const strides = stridesOf(this.shape);
    let off = 0;
    for (let i = 0; i < index.length; i++) {
      const d = this.shape[i]!;
      let k = index[i]!;
      if (!Number.isInteger(k) || k < -d || k >= d) fail('get', `index [${index.join(',')}] is out of range for shape ${shapeStr(this.shape)}`);
      if (k < 0) k += d;
      off += k * strides[i]!;
    }
    return this.data[off]!;
  }

  /** A plain copy of the values as a flat JS array. */
  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  /** The values as nested JS arrays (a number for a 0-d tensor). */
  toArray(): NestedNumbers {
    return nest(this.data, this.shape, 0, 0);
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}, ${this.dtype})`;
  }
}

function nest(data: FloatArray, shape: Shape, dim: number, off: number): NestedNumbers {
  if (dim === shape.length) return data[off]!;
  const n = shape[dim]!;
  const stride = sizeOf(shape.slice(dim + 1));
  const out: NestedNumbers[] = [];
  for (let i = 0; i < n; i++) out.push(nest(data, shape, dim + 1, off + i * stride));
  return out;
}

/** Integer indices (argmax positions, max-pool winners). Not differentiable; never a graph leaf. */
export class IndexTensor {
  readonly data: Int32Array;
  readonly shape: Shape;

  constructor(data: Int32Array, shape: readonly number[]) {
    const s = checkShape('IndexTensor', shape);
    if (sizeOf(s) !== data.length) {
      fail('IndexTensor', `shape ${shapeStr(s)} needs ${sizeOf(s)} elements but the data holds ${data.length}`);
    }
    this.data = data;
    this.shape = Object.freeze(s);
  }

  get size(): number {
    return this.data.length;
  }

  toFlatArray(): number[] {
    return Array.from(this.data);
  }

  toArray(): NestedNumbers {
    return nest(Float64Array.from(this.data), this.shape, 0, 0);
  }
}
