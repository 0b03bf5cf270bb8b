import type { Plan, Ref } from './plan.js';

/**
 * A Conv step whose output feeds only the step after it, fused with it for inference without a
 * graph (tensor/conv-epilogue.ts): Conv → Relu, Conv → Add(·, other) and Conv → Add → Relu, the
 * patterns of every torchvision ResNet exported with its batch norms folded into the convolutions.
 */
export interface ConvFusion {
  /** The last step the fusion covers (the Conv is the step it is keyed by). */
  last: number;
  /** The other operand of the Add (the residual), or null. */
  residual: Ref | null;
  relu: boolean;
  /** Outputs the fused call does not produce (the Conv's, the Add's before a Relu): their taps must be unwatched. */
  hidden: string[];
  /** The output the fused call produces, as the last covered step's. */
  out: string;
}

/** Every fusable Conv of a plan, by step index (computed once per plan). */
export function planFusions(plan: Plan): Map<number, ConvFusion> {
  const uses = new Map<string, number>();
  const use = (r: Ref): void => {
    if (r.kind === 'tensor') uses.set(r.name, (uses.get(r.name) ?? 0) + 1);
  };
  for (const step of plan.steps) step.inputs.forEach(use);
  plan.outputs.forEach(use);
  // A step that takes `name` as its only tensor use, right after the step producing it.
  const onlyNext = (s: number, name: string, op: string): boolean => {
    const next = plan.steps[s + 1];
    return uses.get(name) === 1 && next !== undefined && next.graphNode.node.opType === op && next.outputs.length === 1 && next.inputs.some((r) => r.kind === 'tensor' && r.name === name);
  };
  const out = new Map<number, ConvFusion>();
  plan.steps.forEach((step, s) => {
    if (step.graphNode.node.opType !== 'Conv' || step.outputs.length !== 1) return;
    const c = step.outputs[0]!;
    if (onlyNext(s, c, 'Relu')) {
      out.set(s, { last: s + 1, residual: null, relu: true, hidden: [c], out: plan.steps[s + 1]!.outputs[0]! });
      return;
    }
    if (!onlyNext(s, c, 'Add')) return;
    const add = plan.steps[s + 1]!;
    const other = add.inputs.find((r) => !(r.kind === 'tensor' && r.name === c));
    if (add.inputs.length !== 2 || other === undefined || other.kind !== 'tensor') return;
    const sum = add.outputs[0]!;
    if (onlyNext(s + 1, sum, 'Relu')) out.set(s, { last: s + 2, residual: other, relu: true, hidden: [c, sum], out: plan.steps[s + 2]!.outputs[0]! });
    else out.set(s, { last: s + 1, residual: other, relu: false, hidden: [c], out: sum });
  });
  return out;
}
