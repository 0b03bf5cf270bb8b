import { fail } from '../../tensor/errors.js';
import type { EvalContext, EvalRecord, EvalRecords, MethodTiming } from './records.js';
import { EVAL_BATCH_SIZE } from './settings.js';

/**
 * Images [from, to) of shard k (0-based) of n: whole batches of {@link EVAL_BATCH_SIZE}, split as
 * evenly as possible, in order (shard k gets batches ⌊k·B/n⌋ … ⌊(k+1)·B/n⌋ − 1 of B). The same
 * k and n always give the same slice, so any scheduler can run the shards.
 */
export function shardRange(k: number, n: number, images: number): [number, number] {
  if (!Number.isInteger(n) || n < 1) fail('shard', `the number of shards must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k >= n) fail('shard', `shard index must be an integer in [0, ${n - 1}], got ${k}`);
  const batches = Math.ceil(images / EVAL_BATCH_SIZE);
  const edge = (j: number): number => Math.min(images, Math.floor((j * batches) / n) * EVAL_BATCH_SIZE);
  return [edge(k), edge(k + 1)];
}

/** The part of an evaluation a shard holds (what a shard result file stores, maps aside). */
export type EvalPart = Pick<EvalRecords, 'context' | 'range' | 'records' | 'timing'>;

/**
 * Joins the parts of one evaluation: they must share the context (same data, model, layer,
 * methods, settings) and their ranges must tile [0, images) without gap or overlap. Records come
 * back in image order, as one run gives them; timings are summed.
 */
export function mergeParts(parts: readonly EvalPart[]): EvalPart {
  if (parts.length === 0) fail('merge', 'no shard results to merge');
  const context: EvalContext = parts[0]!.context;
  const key = JSON.stringify(context);
  parts.forEach((p, i) => {
    if (JSON.stringify(p.context) !== key) fail('merge', `shard result ${i} comes from another evaluation (data, model, layer, methods or settings differ): ${JSON.stringify(p.context)} vs ${key}`);
  });
  const sorted = [...parts].sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]);
  let at = 0;
  for (const p of sorted) {
    if (p.range[0] > at) fail('merge', `images [${at}, ${p.range[0]}) are in no shard result`);
    if (p.range[0] < at) fail('merge', `images [${p.range[0]}, ${Math.min(at, p.range[1])}) are in two shard results`);
    at = p.range[1];
  }
  if (at !== context.images) fail('merge', `images [${at}, ${context.images}) are in no shard result`);
  const records: EvalRecord[] = sorted.flatMap((p) => p.records);
  const methods: Record<string, MethodTiming> = {};
  for (const m of context.methods) {
    methods[m] = { explain: 0, confidence: 0, curves: 0, stability: 0 };
    for (const p of sorted) for (const k of ['explain', 'confidence', 'curves', 'stability'] as const) methods[m]![k] += p.timing.methods[m]?.[k] ?? 0;
  }
  return { context, range: [0, context.images], records, timing: { methods, shared: sorted.reduce((s, p) => s + p.timing.shared, 0) } };
}
