import * as K from '../../tensor/index.js';
import { resolvePad, resolveSlice, resolveStack, type Padding, type SliceSpec } from '../../tensor/movement.js';
import { normAxis, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { record } from '../node.js';

/** Same values in a new shape (one -1 allowed). ∂ = reshape(g, x.shape). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = K.reshape(x, shape);
  if (sameShape(out.shape, x.shape)) return x;
  return record('reshape', out, [x], (g) => [reshape(g, x.shape)]);
}

/** Reorders dimensions. ∂ = permute(g, inverse permutation). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = K.checkPerm('permute', perm, x.ndim);
  if (p.every((v, i) => v === i)) return x;
  const inv = K.inversePerm(p);
  return record('permute', K.permute(x, p), [x], (g) => [permute(g, inv)]);
}

/** Swaps two dimensions (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  return permute(x, K.transposePerm('transpose', x.ndim, dim0, dim1));
}

/** A block of x. ∂ = g zero-padded back to x's shape. */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  const { begin, size } = resolveSlice('slice', x.shape, specs);
  const pads = begin.map((b, i) => [b, x.shape[i]! - b - size[i]!] as const);
  return record('slice', K.slice(x, specs), [x], (g) => [pad(g, pads)]);
}

/** Constant padding of the trailing axes. ∂ = the un-padded block of g. */
export function pad(x: Tensor, pads: Padding, value = 0): Tensor {
  const full = resolvePad('pad', x.shape, pads);
  const specs = full.map(([b], i) => [b, b + x.shape[i]!] as const);
  return record('pad', K.pad(x, pads, value), [x], (g) => [slice(g, specs)]);
}

/** Joins tensors along an axis. ∂ = the matching slices of g. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const out = K.concat(xs, axis);
  const a = normAxis('concat', axis, out.ndim);
  const starts: number[] = [];
  let off = 0;
  for (const t of xs) {
    starts.push(off);
    off += t.shape[a]!;
  }
  return record('concat', out, xs, (g, needs) =>
    xs.map((t, k) => {
      if (!needs[k]) return null;
      const specs = g.shape.map((_, i) => (i === a ? ([starts[k]!, starts[k]! + t.shape[a]!] as const) : null));
      return slice(g, specs);
    }),
  );
}

/** Inserts a size-1 dimension at `axis` (a reshape). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  return reshape(x, K.unsqueeze(x, axis).shape);
}

/** Removes size-1 dimensions, all or the given one (a reshape). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  return reshape(x, K.squeeze(x, axis).shape);
}

/** Flattens dimensions `start`..`end` (inclusive) into one (a reshape). */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  return reshape(x, K.flatten(x, start, end).shape);
}

/** Stacks equal-shape tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const a = resolveStack('stack', xs, axis);
  return concat(xs.map((t) => unsqueeze(t, a)), a);
}
