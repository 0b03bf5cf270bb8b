/**
 * Evaluation of CAM methods as a library (pure ECMAScript: scripts, the CLI, a browser):
 * `evaluate(model, dataset, methods, settings)` → summary. The parts it is made of are exported
 * too, so a run can be split into shards (`shardRange`, `evaluateRecords`) and joined again
 * (`mergeParts`, `summarize`) into exactly the summary of one run.
 */
import { METHOD_NAMES } from '../methods.js';
import type { EvalDataset } from './dataset.js';
import { evaluateRecords, type EvalModel, type EvalRunOptions } from './records.js';
import type { EvalSettings } from './settings.js';
import { summarize, type EvalSummary } from './summary.js';

export * from './dataset.js';
export * from './settings.js';
export * from './records.js';
export * from './summary.js';
export * from './shards.js';

/**
 * Scores explanation methods (default: every registered one) on a data set: each image's
 * explained class (predicted by default) is explained by every method, and the maps are scored
 * for faithfulness (Average Drop %, Increase in Confidence %, Win % — Chattopadhay et al. 2018;
 * deletion/insertion AUC — Petsiuk et al. 2018), localization when the data set has instance
 * masks (energy inside the objects, pointing game, instance coverage), smoothness (total
 * variation) and stability under input noise. See docs/evaluation.md.
 */
export function evaluate(model: EvalModel, dataset: EvalDataset, methods: readonly string[] = METHOD_NAMES, settings: EvalSettings = {}, run: EvalRunOptions = {}): EvalSummary {
  const r = evaluateRecords(model, dataset, methods, settings, run);
  return summarize(r.context, r.records);
}
