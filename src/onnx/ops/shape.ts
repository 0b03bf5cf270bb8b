import { gather } from '../../autodiff/ops/indexing.js';
import { concat, pad, permute, reshape, slice } from '../../autodiff/ops/movement.js';
import { expand } from '../../autodiff/ops/reduce.js';
import { full } from '../../tensor/create.js';
import { sizeOf } from '../../tensor/shape.js';
import { IndexTensor, type Tensor } from '../../tensor/tensor.js';
import { broadcastMap, gatherMap, permuteMap, pick, separableMap, stridedMap } from '../indexmaps.js';
import { axisOf, fmt, inputValue, type Attrs, type OnnxOp, type RunArg, type RunContext, type ShapeArg } from '../op.js';
import { DT, host, intList, isFloatType, ints, type HostValue } from '../values.js';
import { broadcastAll } from './elementwise.js';

/** An input that is a tensor at run time or a host value while folding: the two share one code path. */
type Arg = ShapeArg | RunArg | HostValue;

const shapeOfArg = (v: Arg): number[] => (v === null ? [] : 'value' in v ? v.shape : [...v.shape]);

/** The integer values of a load-time input (shape, axes, pads, starts, ...), or null when omitted. */
function intsInput(ins: readonly Arg[], i: number, a: Attrs, what: string): number[] | null {
  const v = inputValue(ins, i, a, what);
  return v === null ? null : intList(v, what);
}

/** Elements of x at flat indices `map`, in `shape`: a differentiable gather. */
function gatherTensor(x: Tensor, map: readonly number[], shape: readonly number[]): Tensor {
  return reshape(gather(x, new IndexTensor(Int32Array.from(map), [map.length])), shape);
}

/**
 * Reshape target: 0 copies the input's dimension (unless allowzero = 1), one −1 is inferred
 * ("the dimension value is inferred from the size of the tensor and the remaining dimensions").
 */
function reshapeTarget(from: readonly number[], target: readonly number[], a: Attrs): number[] {
  const allowZero = a.int('allowzero', 0) === 1;
  const out = target.map((d, i) => (d === 0 && !allowZero ? from[i] ?? a.fail(`shape ${fmt(target)} copies dimension ${i} (0) from ${fmt(from)}, which has no such dimension`) : d));
  const size = sizeOf(from);
  const infer = out.indexOf(-1);
  if (infer >= 0) {
    if (out.indexOf(-1, infer + 1) >= 0) a.fail(`shape ${fmt(target)} has more than one −1`);
    const known = sizeOf(out.filter((_, i) => i !== infer));
    if (known === 0 || size % known !== 0) a.fail(`cannot reshape ${fmt(from)} (${size} elements) to ${fmt(target)}`);
    out[infer] = size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== size) a.fail(`cannot reshape ${fmt(from)} (${size} elements) to ${fmt(target)}`);
  return out;
}

function flattenShape(s: readonly number[], a: Attrs): number[] {
  let axis = a.int('axis', 1);
  if (axis < -s.length || axis > s.length) a.fail(`axis ${axis} is out of range for rank ${s.length}`);
  if (axis < 0) axis += s.length;
  return [sizeOf(s.slice(0, axis)), sizeOf(s.slice(axis))];
}

function transposePerm(s: readonly number[], a: Attrs): number[] {
  const perm = a.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
  if (perm.length !== s.length || new Set(perm.map((p) => axisOf(a, p, s.length))).size !== s.length) a.fail(`perm ${fmt(perm)} is not a permutation of ${s.length} axes`);
  return perm.map((p) => axisOf(a, p, s.length));
}

/** Concat output shape (non-axis dimensions must be equal, as the spec says). */
function concatShape(shapes: readonly (readonly number[])[], a: Attrs): number[] {
  const first = shapes[0]!;
  const axis = axisOf(a, a.int('axis', 0), first.length);
  const out = first.slice();
  out[axis] = 0;
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) a.fail(`inputs ${shapes.map(fmt).join(', ')} differ outside axis ${axis}`);
    out[axis]! += s[axis]!;
  }
  return out;
}

/** Split sizes: the `split` attribute (opsets < 13), the second input (13+), or equal parts (num_outputs in 18+, else one per output). */
function splitSizes(ins: readonly Arg[], a: Attrs, s: readonly number[]): { axis: number; sizes: number[] } {
  const axis = axisOf(a, a.int('axis', 0), s.length);
  const given = a.opset >= 13 ? intsInput(ins, 1, a, 'split') : a.ints('split');
  const parts = a.node.outputs.length;
  const d = s[axis]!;
  const sizes = given ?? Array.from({ length: parts }, (_, i) => {
    const chunk = Math.ceil(d / parts); // opset 18: "the last chunk may be smaller"
    return Math.max(0, Math.min(chunk, d - i * chunk));
  });
  if (sizes.length !== parts || sizes.reduce((p, q) => p + q, 0) !== d) a.fail(`split ${fmt(sizes)} does not divide axis ${axis} of ${fmt(s)} into ${parts} outputs`);
  return { axis, sizes };
}

/** Per-axis start, step and count of a Slice (opset 10+ inputs), with the spec's clamping. */
function sliceSpec(ins: readonly Arg[], a: Attrs, s: readonly number[]): { starts: number[]; steps: number[]; counts: number[] } {
  const starts = intsInput(ins, 1, a, 'starts');
  const ends = intsInput(ins, 2, a, 'ends');
  if (starts === null || ends === null || starts.length !== ends.length) a.fail('starts and ends must be given, with one entry per sliced axis');
  const axes = intsInput(ins, 3, a, 'axes') ?? starts.map((_, i) => i);
  const steps = intsInput(ins, 4, a, 'steps') ?? starts.map(() => 1);
  const out = { starts: s.map(() => 0), steps: s.map(() => 1), counts: s.slice() };
  axes.forEach((ax0, k) => {
    const ax = axisOf(a, ax0, s.length, 'axes entry');
    const d = s[ax]!;
    const step = steps[k]!;
    if (step === 0) a.fail('steps must not be 0');
    let b = starts[k]! < 0 ? starts[k]! + d : starts[k]!;
    let e = ends[k]! < 0 ? ends[k]! + d : ends[k]!;
    // Spec: clamp to [0, dim] for positive steps and to [0, dim − 1] / [−1, dim − 1] for negative steps.
    if (step > 0) [b, e] = [Math.min(Math.max(b, 0), d), Math.min(Math.max(e, 0), d)];
    else [b, e] = [Math.min(Math.max(b, 0), d - 1), Math.min(Math.max(e, -1), d - 1)];
    out.starts[ax] = b;
    out.steps[ax] = step;
    out.counts[ax] = Math.max(0, Math.ceil((e - b) / step));
  });
  return out;
}

function squeezeShape(ins: readonly Arg[], a: Attrs, s: readonly number[]): number[] {
  const axes = a.opset >= 13 ? intsInput(ins, 1, a, 'axes') : a.ints('axes');
  if (axes === null) return s.filter((d) => d !== 1);
  const norm = axes.map((x) => axisOf(a, x, s.length, 'axes entry'));
  for (const x of norm) if (s[x] !== 1) a.fail(`axis ${x} of ${fmt(s)} has size ${s[x]}, not 1`);
  return s.filter((_, i) => !norm.includes(i));
}

function unsqueezeShape(ins: readonly Arg[], a: Attrs, s: readonly number[]): number[] {
  const axes = a.opset >= 13 ? intsInput(ins, 1, a, 'axes') : a.ints('axes');
  if (axes === null) a.fail('axes are required');
  const rank = s.length + axes.length;
  const norm = axes.map((x) => axisOf(a, x, rank, 'axes entry'));
  if (new Set(norm).size !== norm.length) a.fail(`axes ${fmt(axes)} repeat an axis`);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : s[j++]!);
  return out;
}

function gatherSpec(ins: readonly Arg[], a: Attrs, s: readonly number[]): { map: number[]; shape: number[] } {
  const axis = axisOf(a, a.int('axis', 0), s.length);
  const idx = inputValue(ins, 1, a, 'indices');
  if (idx === null) a.fail('indices are missing');
  const d = s[axis]!;
  const list = intList(idx, 'indices').map((k) => {
    if (k < -d || k >= d) a.fail(`index ${k} is out of range for axis ${axis} of size ${d}`);
    return k < 0 ? k + d : k;
  });
  return gatherMap(s, axis, list, idx.shape);
}

/** Pad (opset 11+): pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over `axes` (opset 18, default all). */
function padSpec(ins: readonly Arg[], a: Attrs, s: readonly number[]): { pairs: Array<[number, number]>; mode: string; shape: number[] } {
  if (a.opset < 11) a.fail('Pad before opset 11 (pads attribute) is not supported; export with opset 11 or newer');
  const pads = intsInput(ins, 1, a, 'pads');
  const axes = (intsInput(ins, 3, a, 'axes') ?? s.map((_, i) => i)).map((x) => axisOf(a, x, s.length, 'axes entry'));
  if (pads === null || pads.length !== 2 * axes.length) a.fail(`pads must have ${2 * axes.length} entries, got ${pads === null ? 'none' : fmt(pads)}`);
  if (pads.some((p) => p < 0)) a.fail(`negative pads ${fmt(pads)} (cropping) are not supported`);
  const pairs: Array<[number, number]> = s.map(() => [0, 0]);
  axes.forEach((ax, k) => (pairs[ax] = [pads[k]!, pads[k + axes.length]!]));
  const mode = a.string('mode', 'constant');
  if (!['constant', 'reflect', 'edge'].includes(mode)) a.fail(`mode '${mode}' is not supported (constant, reflect, edge)`);
  if (mode === 'reflect') pairs.forEach(([p, q], ax) => (Math.max(p, q) >= s[ax]! ? a.fail(`reflect padding ${Math.max(p, q)} needs more than ${s[ax]} values on axis ${ax}`) : 0));
  return { pairs, mode, shape: s.map((d, i) => d + pairs[i]![0] + pairs[i]![1]) };
}

/** Concat at run time, with size-1 dimensions broadcast: a CAM head may carry more images than the activations before its layer. */
function concatRun(xs: Tensor[], axis: number): Tensor {
  const nd = xs[0]!.ndim;
  const target = xs[0]!.shape.map((_, i) => Math.max(...xs.map((t) => t.shape[i]!)));
  return concat(xs.map((t) => (t.shape.every((d, i) => i === axis || d === target[i]) ? t : expand(t, t.shape.map((d, i) => (i === axis ? d : target[i]!))))), axis < 0 ? axis + nd : axis);
}

const one = (ins: readonly RunArg[], ctx: RunContext, what = 'data'): Tensor => ctx.tensor(ins[0]!, what);

/** An op that only relabels the shape (the data stays as it is): run as a reshape, folded by relabelling. */
function reshapeLike(target: (ins: readonly Arg[], a: Attrs, s: readonly number[]) => number[]): OnnxOp {
  return {
    shapes: (ins, a) => [target(ins, a, ins[0]!.shape)],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx);
      return [reshape(x, target(ins, a, x.shape))];
    },
    fold: (ins, a) => [host(ins[0]!.dataType, target(ins, a, ins[0]!.shape), ins[0]!.data)],
  };
}

export const SHAPE_OPS: Record<string, OnnxOp> = {
  Reshape: reshapeLike((ins, a, s) => reshapeTarget(s, intsInput(ins, 1, a, 'shape') ?? a.fail('shape is missing'), a)),
  /** Flatten: [d_0 … d_(axis−1), d_axis … d_n] → [Π before, Π from axis]; axis = 1 by default. */
  Flatten: reshapeLike((_ins, a, s) => flattenShape(s, a)),
  Squeeze: reshapeLike(squeezeShape),
  Unsqueeze: reshapeLike(unsqueezeShape),
  /** Transpose: perm defaults to reversing the axes. */
  Transpose: {
    shapes: (ins, a) => [transposePerm(ins[0]!.shape, a).map((p) => ins[0]!.shape[p]!)],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx);
      return [permute(x, transposePerm(x.shape, a))];
    },
    fold: (ins, a) => {
      const perm = transposePerm(ins[0]!.shape, a);
      return [pick(ins[0]!, permuteMap(ins[0]!.shape, perm), perm.map((p) => ins[0]!.shape[p]!))];
    },
  },
  Concat: {
    shapes: (ins, a) => [concatShape(ins.map((s) => s.shape), a)],
    run: (ins, a, ctx) => [concatRun(ins.map((v, i) => ctx.tensor(v, `input ${i}`)), a.int('axis', 0))],
    fold: (ins, a) => {
      const shape = concatShape(ins.map((v) => v.shape), a);
      const axis = axisOf(a, a.int('axis', 0), shape.length);
      const outer = sizeOf(shape.slice(0, axis));
      const data: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const v of ins) {
          const block = sizeOf(v.shape.slice(axis));
          for (let i = 0; i < block; i++) data.push(v.data[o * block + i]!);
        }
      }
      return [host(ins[0]!.dataType, shape, data)];
    },
  },
  Split: {
    shapes: (ins, a) => {
      const s = ins[0]!.shape;
      const { axis, sizes } = splitSizes(ins, a, s);
      return sizes.map((n) => s.map((d, i) => (i === axis ? n : d)));
    },
    run: (ins, a, ctx) => {
      const x = one(ins, ctx, 'input');
      const { axis, sizes } = splitSizes(ins, a, x.shape);
      let at = 0;
      return sizes.map((n) => {
        const spec = x.shape.map((_, i) => (i === axis ? ([at, at + n] as const) : null));
        at += n;
        return slice(x, spec);
      });
    },
  },
  Slice: {
    shapes: (ins, a) => [sliceSpec(ins, a, ins[0]!.shape).counts],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx);
      const { starts, steps, counts } = sliceSpec(ins, a, x.shape);
      if (counts.some((c) => c === 0)) a.fail(`the slice of ${fmt(x.shape)} is empty`);
      if (steps.every((st) => st === 1)) return [slice(x, starts.map((b, i) => [b, b + counts[i]!] as const))];
      return [gatherTensor(x, stridedMap(x.shape, starts, steps, counts), counts)];
    },
    fold: (ins, a) => {
      const { starts, steps, counts } = sliceSpec(ins, a, ins[0]!.shape);
      return [pick(ins[0]!, stridedMap(ins[0]!.shape, starts, steps, counts), counts)];
    },
  },
  /** Gather on load-time indices (negative indices count from the end of the axis). */
  Gather: {
    shapes: (ins, a) => [gatherSpec(ins, a, ins[0]!.shape).shape],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx);
      const { map, shape } = gatherSpec(ins, a, x.shape);
      return [gatherTensor(x, map, shape)];
    },
    fold: (ins, a) => {
      const { map, shape } = gatherSpec(ins, a, ins[0]!.shape);
      return [pick(ins[0]!, map, shape)];
    },
  },
  /** Expand: broadcast of the input and the given shape (bidirectional, NumPy rules). */
  Expand: {
    shapes: (ins, a) => [broadcastAll([ins[0]!.shape, intsInput(ins, 1, a, 'shape') ?? a.fail('shape is missing')], a)],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx, 'input');
      return [expand(x, broadcastAll([x.shape, intsInput(ins, 1, a, 'shape')!], a))];
    },
    fold: (ins, a) => {
      const shape = broadcastAll([ins[0]!.shape, intList(ins[1]!, 'shape')], a);
      return [pick(ins[0]!, broadcastMap(ins[0]!.shape, shape), shape)];
    },
  },
  /** Pad (opset 11+): constant (constant_value input, default 0), reflect (mirror without the edge) or edge (repeat the edge). */
  Pad: {
    shapes: (ins, a) => [padSpec(ins, a, ins[0]!.shape).shape],
    run: (ins, a, ctx) => {
      const x = one(ins, ctx);
      const { pairs, mode, shape } = padSpec(ins, a, x.shape);
      if (mode === 'constant') {
        const c = ins[2] === null || ins[2] === undefined ? 0 : ctx.tensor(ins[2], 'constant_value').data[0]!;
        return [pad(x, pairs, c)];
      }
      const src = (axis: number, i: number): number => {
        const d = x.shape[axis]!;
        const j = i - pairs[axis]![0];
        if (mode === 'edge') return Math.min(Math.max(j, 0), d - 1);
        return j < 0 ? -j : j >= d ? 2 * (d - 1) - j : j;
      };
      return [gatherTensor(x, separableMap(x.shape, shape, src), shape)];
    },
  },
  /** Shape (start/end attributes from opset 15) of any tensor: known at load, so it always folds. */
  Shape: {
    shapeOnly: true,
    fold: (ins, a) => {
      const s = shapeOfArg(ins[0]!);
      const clampAxis = (v: number): number => Math.min(Math.max(v < 0 ? v + s.length : v, 0), s.length);
      return [ints(s.slice(clampAxis(a.int('start', 0)), clampAxis(a.int('end', s.length))))];
    },
  },
  Size: { shapeOnly: true, fold: (ins) => [host(DT.INT64, [], [sizeOf(shapeOfArg(ins[0]!))])] },
  /** ConstantOfShape: a tensor of the given shape filled with `value` (a one-element tensor attribute, default float 0). */
  ConstantOfShape: {
    shapes: (ins, a) => [intsInput(ins, 0, a, 'input') ?? []],
    run: (ins, a, ctx) => {
      const v = a.tensor('value') ?? host(DT.FLOAT, [1], [0]);
      if (!isFloatType(v.dataType)) a.fail('an integer ConstantOfShape whose shape depends on the batch cannot run (integers fold at load only)');
      return [full(intsInput(ins, 0, a, 'input')!, v.data[0]!, { dtype: ctx.dtype })];
    },
    fold: (ins, a) => {
      const v = a.tensor('value') ?? host(DT.FLOAT, [1], [0]);
      const shape = intList(ins[0]!, 'input');
      return [host(v.dataType, shape, new Array<number>(sizeOf(shape)).fill(v.data[0]!))];
    },
  },
  /** Constant: value (a tensor), value_float(s) or value_int(s). */
  Constant: {
    fold: (_ins, a) => {
      const t = a.tensor('value');
      if (t !== null) return [t];
      if (a.has('value_float')) return [host(DT.FLOAT, [], [a.float('value_float', 0)])];
      if (a.has('value_int')) return [host(DT.INT64, [], [a.int('value_int', 0)])];
      const fs = a.floats('value_floats');
      if (fs !== null) return [host(DT.FLOAT, [fs.length], fs)];
      const is = a.ints('value_ints');
      if (is !== null) return [host(DT.INT64, [is.length], is)];
      return a.fail('only value, value_float(s) and value_int(s) are supported');
    },
  },
  /** Range: start, start + delta, ... up to (excluding) limit; max(ceil((limit − start)/delta), 0) elements. */
  Range: {
    fold: (ins, a) => {
      const [start, limit, delta] = ins.map((v) => v.data[0]!);
      if (delta === 0) a.fail('delta must not be 0');
      const n = Math.max(Math.ceil((limit! - start!) / delta!), 0);
      return [host(ins[0]!.dataType, [n], Array.from({ length: n }, (_, i) => start! + i * delta!))];
    },
  },
};
