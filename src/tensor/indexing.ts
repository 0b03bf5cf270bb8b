import { kernels } from './backend.js';
import { allocate } from './dtype.js';
import { fail, shapeStr } from './errors.js';
import { checkShape, sizeOf } from './shape.js';
import { IndexTensor, Tensor } from './tensor.js';

function checkIndices(op: string, idx: IndexTensor, limit: number, what: string): void {
  const d = idx.data;
  for (let i = 0; i < d.length; i++) {
    const k = d[i]!;
    if (k < 0 || k >= limit) fail(op, `index ${k} at position ${i} is out of range for ${what} (${limit} elements)`);
  }
}

/** out[i] = x.flat[idx[i]]; the result has idx's shape. */
export function gather(x: Tensor, idx: IndexTensor): Tensor {
  const out = allocate(x.dtype, idx.size);
  const done = kernels().gather(x.data, idx.data, out);
  if (done !== -1) {
    checkIndices('gather', idx, x.size, `source ${shapeStr(x.shape)}`);
    const src = x.data;
    const id = idx.data;
    for (let i = 0; i < out.length; i++) out[i] = src[id[i]!]!;
  }
  return new Tensor(out, idx.shape);
}

/** A zero tensor of `shape` with out.flat[idx[i]] += g[i] (the adjoint of gather). */
export function scatterAdd(g: Tensor, idx: IndexTensor, shape: readonly number[]): Tensor {
  const s = checkShape('scatterAdd', shape);
  if (g.size !== idx.size) fail('scatterAdd', `values ${shapeStr(g.shape)} and indices ${shapeStr(idx.shape)} differ in size`);
  const n = sizeOf(s);
  const out = allocate(g.dtype, n);
  const done = kernels().scatterAdd(g.data, idx.data, out);
  if (done !== -1) {
    checkIndices('scatterAdd', idx, n, `target ${shapeStr(s)}`);
    const src = g.data;
    const id = idx.data;
    for (let i = 0; i < src.length; i++) out[id[i]!]! += src[i]!;
  }
  return new Tensor(out, s);
}

/** Indices from plain numbers (checked to be integers). */
export function indices(values: readonly number[], shape: readonly number[] = [values.length]): IndexTensor {
  const s = checkShape('indices', shape);
  if (values.length !== sizeOf(s)) fail('indices', `${values.length} values do not fill shape ${shapeStr(s)}`);
  const d = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (!Number.isInteger(v)) fail('indices', `value ${v} at position ${i} is not an integer`);
    if (v < -2147483648 || v > 2147483647) fail('indices', `value ${v} at position ${i} does not fit in 32 bits`);
    d[i] = v;
  });
  return new IndexTensor(d, s);
}
