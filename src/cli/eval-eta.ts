/**
 * The time left of an evaluation, from the work measured so far. The first images cost more than
 * the rest (deletion/insertion curves on the first --curve-images, stability on the first
 * --stability-images), so "elapsed × remaining / done" over-estimates early on (42 min for a
 * 7.5-min run); here each method's cost per image is measured per phase and multiplied by what
 * is left of that phase.
 */
import type { EvalRecords } from '../cam/evaluate/index.js';

export interface EvalPosition {
  /** The method about to run on the batch, and the batch (images [from, to)). */
  method: string;
  batch: readonly [number, number];
  timing: EvalRecords['timing'];
}

/** What the estimate needs of the run: the methods in order, the images evaluated and the expensive subsets. */
export interface EvalPlan {
  methods: readonly string[];
  range: readonly [number, number];
  curveImages: number;
  stabilityImages: number;
  batchSize: number;
}

/** Images of [from, to) that are also in [0, limit). */
const within = (from: number, to: number, limit: number): number => Math.max(0, Math.min(to, limit) - from);

/**
 * Seconds left (timings in ms), or undefined while some cost is not measured yet (the first
 * batch of a method, the first curve image): the caller then falls back to elapsed × left / done.
 */
export function evalSecondsLeft(plan: EvalPlan, p: EvalPosition): number | undefined {
  const [from, to] = plan.range;
  const at = plan.methods.indexOf(p.method);
  let ms = 0;
  for (const [i, m] of plan.methods.entries()) {
    const t = p.timing.methods[m];
    if (t === undefined) return undefined;
    const doneTo = i < at ? p.batch[1] : p.batch[0];
    const done = doneTo - from;
    const curves = [within(from, doneTo, plan.curveImages), within(from, to, plan.curveImages)] as const;
    const stability = [within(from, doneTo, plan.stabilityImages), within(from, to, plan.stabilityImages)] as const;
    const phases: Array<readonly [number, number, number]> = [
      [t.explain + t.confidence, done, to - from],
      [t.curves, curves[0], curves[1]],
      [t.stability, stability[0], stability[1]],
    ];
    for (const [spent, did, all] of phases) {
      if (did === all) continue;
      if (did === 0) return undefined;
      ms += (spent / did) * (all - did);
    }
  }
  const batchesDone = Math.ceil((p.batch[0] - from) / plan.batchSize);
  const batchesLeft = Math.ceil((to - p.batch[0]) / plan.batchSize);
  if (batchesDone > 0) ms += (p.timing.shared / batchesDone) * batchesLeft;
  return ms / 1000;
}
