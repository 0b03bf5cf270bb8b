import type { DType } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ATTR, type AttributeProto, type NodeProto } from './proto.js';
import { decodeTensorData, type HostValue } from './values.js';
import { onnxFail } from './errors.js';

/** A node's attributes with the ONNX spec's defaults, and its name, type and opset for error messages. */
export class Attrs {
  constructor(
    readonly node: NodeProto,
    /** The opset version of the node's domain. */
    readonly opset: number,
  ) {}

  /** `Conv '/layer1/conv1/Conv'`: how errors name the node. */
  get label(): string {
    return `${this.node.opType} '${this.node.name || this.node.outputs[0] || '?'}'`;
  }

  fail(message: string): never {
    onnxFail(`${this.label}: ${message}`);
  }

  has(name: string): boolean {
    return this.node.attributes.has(name);
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.node.attributes.get(name);
    if (a !== undefined && a.type !== 0 && a.type !== type) this.fail(`attribute '${name}' must be ${typeName} (AttributeProto type ${type}), got type ${a.type}`);
    return a;
  }

  int(name: string, def: number): number {
    return this.get(name, ATTR.INT, 'an INT')?.i ?? def;
  }

  /**
   * A FLOAT attribute. The file stores float32; the value returned is the shortest decimal that
   * rounds to it (1e-5, not 9.99999974737875e-6), which is what the exporter was given, so
   * float64 models compute with the intended constants.
   */
  float(name: string, def: number): number {
    const a = this.get(name, ATTR.FLOAT, 'a FLOAT');
    return a === undefined ? def : shortestDecimal(a.f);
  }

  string(name: string, def: string): string {
    return this.get(name, ATTR.STRING, 'a STRING')?.s ?? def;
  }

  ints(name: string, def: number[] | null = null): number[] | null {
    return this.get(name, ATTR.INTS, 'INTS')?.ints.slice() ?? def;
  }

  floats(name: string): number[] | null {
    return this.get(name, ATTR.FLOATS, 'FLOATS')?.floats.slice() ?? null;
  }

  tensor(name: string): HostValue | null {
    const t = this.get(name, ATTR.TENSOR, 'a TENSOR')?.t;
    return t === undefined || t === null ? null : decodeTensorData(t, undefined, `attribute '${name}' of ${this.label}`);
  }
}

/** The shortest decimal (up to 9 significant digits) whose float32 rounding is f. */
export function shortestDecimal(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

/** What a shape function sees of an input: its shape, and its values when known at load time. */
export interface ShapeArg {
  shape: number[];
  value: HostValue | null;
}

/** What a run-time op gets per input: a tensor, a load-time value (resolved for this batch), or null for an omitted input. */
export type RunArg = Tensor | HostValue | null;

/** Run-time services for ops: the model's dtype and host values as tensors of that dtype (cached for constants). */
export interface RunContext {
  dtype: DType;
  tensor(v: RunArg, what: string): Tensor;
}

/**
 * One ONNX operator. `shapes` gives the output shapes from the inputs (it must throw on inputs the
 * op rejects, so a model that cannot run fails at load); `run` computes with camlab's
 * differentiable ops (so derivatives of every order flow through it); `fold` evaluates the op on
 * load-time values (shape arithmetic: Shape → Gather → Concat → Reshape). An op with only `fold`
 * must be folded at load; one with only `run` always runs.
 */
export interface OnnxOp {
  shapes?(ins: readonly ShapeArg[], a: Attrs): number[][];
  run?(ins: readonly RunArg[], a: Attrs, ctx: RunContext): Tensor[];
  fold?(ins: readonly HostValue[], a: Attrs, dtype: DType): HostValue[];
  /** Shape and Size read only their input's shape, so they fold even on run-time tensors. */
  shapeOnly?: boolean;
}

/** The i-th input's load-time value (shapes, axes, pads), failing when it is computed at run time. */
export function inputValue(ins: readonly (ShapeArg | RunArg | HostValue)[], i: number, a: Attrs, what: string): HostValue | null {
  const s = ins[i];
  if (s === undefined || s === null) return null;
  if ('value' in s) {
    if (s.value === null) a.fail(`${what} (input ${i}) is computed at run time; camlab needs it at load time (constant shape arithmetic)`);
    return s.value;
  }
  if ('dataType' in s) return s;
  a.fail(`${what} (input ${i}) is a run-time tensor; camlab needs it at load time`);
}

/** Normalizes an axis for rank `nd`, failing with the node's name. */
export function axisOf(a: Attrs, axis: number, nd: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -nd || axis >= nd) a.fail(`${what} ${axis} is out of range for rank ${nd}`);
  return axis < 0 ? axis + nd : axis;
}

/** Shape string for messages. */
export const fmt = shapeStr;
