/**
 * Runs the chosen methods on one input for `explain` and `demo`: each computation once (with
 * exact mode on, gradcam++-exact is a copy of gradcam++), progress from the methods' inner loops,
 * a failing method named in the error, and the file names and same-map notes of the results.
 */
import { sameMaps, type SameMaps } from '../cam/agreement.js';
import { computationKey, exactOutputOf } from '../cam/computation.js';
import { explain, type ExplainOptions, type RegisteredMethod } from '../cam/methods.js';
import type { MethodResult } from '../cam/methods/descriptor.js';
import { withProgress, type ProgressEvent } from '../cam/progress.js';
import { isRolloutResult } from '../cam/rollout/methods.js';
import type { ExactOutput } from '../cam/gradients.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { CamlabError } from '../tensor/errors.js';
import { detail, underCommand } from './errors.js';
import { mapTags } from './file-names.js';
import type { ProgressTask } from './progress.js';

export interface MethodRun {
  method: string;
  result: MethodResult;
  ms: number;
  /** The earlier method whose computation this is (its result is reused), or null. */
  sameAs: string | null;
  /** Tags of the settings that shaped this map (file names). */
  tags: string[];
  /** Y of the exact derivatives when the method ran in exact mode. */
  exactOutput?: ExactOutput;
}

/**
 * Runs `methods` on x with the shared options; `task` shows the progress (the fraction over all
 * methods, the current method and its inner loop). An error names the command and the method;
 * with `skip`, a method that fails (CAM on a head that is not GAP + linear) is handed to it and
 * left out, and the others go on.
 */
export function runMethods(command: string, model: Module, x: Tensor, methods: readonly RegisteredMethod[], opts: ExplainOptions, task: ProgressTask, skip?: (method: string, message: string) => void): MethodRun[] {
  const runs: MethodRun[] = [];
  const byKey = new Map<string, MethodRun>();
  methods.forEach((d, i) => {
    const key = computationKey(d.name, opts);
    const exactOutput = exactOutputOf(d.name, opts);
    const tags = mapTags(d, opts);
    const earlier = byKey.get(key);
    if (earlier !== undefined) {
      runs.push({ ...earlier, method: d.name, ms: 0, sameAs: earlier.method });
      return;
    }
    const which = methods.length > 1 ? `method ${i + 1} of ${methods.length}, ` : '';
    task.update(i / methods.length, `${which}${d.name}`);
    const t0 = performance.now();
    // The time left is measured inside the running method; the methods after it are not measured yet.
    const inner = (p: ProgressEvent): void => {
      const s = (performance.now() - t0) / 1000;
      const last = i === methods.length - 1;
      task.update((i + p.fraction) / methods.length, `${which}${d.name} (${p.task})`, p.fraction > 0 ? (s * (1 - p.fraction)) / p.fraction : undefined, last ? undefined : d.name);
    };
    let result: MethodResult;
    try {
      result = underCommand(`${command} --method ${d.name}`, () => withProgress(inner, () => explain(d.name, model, x, opts)));
    } catch (e) {
      if (skip === undefined || !(e instanceof CamlabError)) throw e;
      skip(d.name, detail(e));
      return;
    }
    const run: MethodRun = { method: d.name, result, ms: performance.now() - t0, sameAs: null, tags, ...(exactOutput === undefined ? {} : { exactOutput }) };
    byKey.set(key, run);
    runs.push(run);
  });
  return runs;
}

/** One-line notes on methods that gave the same map, and why (src/cam/agreement.ts). */
export function sameMapNotes(model: Module, runs: readonly MethodRun[]): SameMaps[] {
  const fresh = runs.filter((r) => r.sameAs === null);
  // A rollout's 'layer' names all its attention layers at once: no head follows it.
  const layer = fresh.map((r) => r.result).find((r) => 'layer' in r && !isRolloutResult(r));
  return sameMaps(model, layer !== undefined && 'layer' in layer ? layer.layer : null, fresh.map((r) => ({ name: r.method, result: r.result, ...(r.exactOutput === undefined ? {} : { exactOutput: r.exactOutput }) })));
}
