/**
 * What `camlab explain` prints for one picture: a text report (classes, one line per method with
 * its files, the per-channel terms with --trace, notes on methods that gave the same map and on
 * flags some methods ignore), or one JSON object per picture with --json (maps, weights, terms).
 */
import type { SameMaps } from '../cam/agreement.js';
import type { RankedClass } from '../cam/classify.js';
import { channelSummary, type CamTrace } from '../cam/result.js';
import { isRolloutResult, type RolloutTrace } from '../cam/rollout/methods.js';
import { rolloutSummary } from '../cam/rollout/summary.js';
import type { Classifier } from '../io/classifier.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt, table } from './report.js';
import type { MethodRun } from './run-methods.js';

/** One picture's explanation as the report shows it. */
export interface PictureReport {
  image: string;
  model: Classifier;
  /** The model input's [C, H, W] for this picture. */
  inputShape: readonly number[];
  top: RankedClass[];
  runs: ReadonlyArray<MethodRun & { files: string[] }>;
  grid: string | null;
  same: readonly SameMaps[];
  /** Notes on flags that apply to some of the chosen methods only. */
  notes: readonly string[];
}

/** Per-channel terms of image 0 ({@link channelSummary}): Σ A, mean g, α range and weight, sorted by weight. */
function traceTable(t: CamTrace): string {
  const rows = channelSummary(t).sort((a, b) => (b.weight ?? -Infinity) - (a.weight ?? -Infinity));
  const cells = rows.map((r) => [String(r.channel), fmt(r.sumA), fmt(r.meanGrad), r.alpha === null ? '-' : `${fmt(r.alpha.min)}..${fmt(r.alpha.max)}`, r.weight === null ? '-' : fmt(r.weight)]);
  return table(['channel', 'sum A', 'mean g', 'alpha range', 'weight'], cells) + `\n  (derivatives: ${t.derivatives})`;
}

/** Per-block terms of image 0 of a rollout ({@link rolloutSummary}). */
function rolloutTable(t: RolloutTrace): string {
  const cells = rolloutSummary(t).map((b) => [
    String(b.block), fmt(b.clsToPatches), fmt(b.clsRowMass), b.positiveShare === null ? '-' : `${(100 * b.positiveShare).toFixed(0)}%`,
    b.alpha === null ? '-' : `${fmt(b.alpha.min)}..${fmt(b.alpha.max)} (mean ${fmt(b.alpha.mean)})`,
  ]);
  return table(['block', 'cls attention to patches', 'sum of cls row added', 'd1 > 0', 'alpha where d1 > 0'], cells) + `\n  (derivatives: ${t.derivatives})`;
}

/** The text report of one picture, line by line. */
export function textReport(r: PictureReport, trace: boolean): string[] {
  const { model } = r;
  const lines = [
    `${r.image} → ${model.name} (input ${r.inputShape.join('x')})`,
    `preprocessing: ${model.recipe}`,
    `top classes: ${r.top.map((t) => `${t.name} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`,
  ];
  for (const run of r.runs) {
    const c = run.result.classes[0]!;
    const cls = c >= 0 ? `${model.classes[c] ?? c} (class ${c})` : 'custom target';
    const layer = isRolloutResult(run.result) ? ` over ${run.result.layers.length} attention layers` : 'layer' in run.result ? ` at layer ${model.layerLabel(run.result.layer)}` : '';
    if (run.sameAs !== null) {
      lines.push(`${run.method}: the same computation as ${run.sameAs} (computed once)`);
      continue;
    }
    lines.push(`${run.method}: explains ${cls}${layer}, ${run.ms.toFixed(0)} ms${run.result.flat[0] ? ' — the map is flat (all zero): nothing in this layer supports the class' : ''}`);
    if (run.files.length > 0) lines.push(`  ${run.files.join('\n  ')}`);
    if (trace && 'trace' in run.result && run.result.trace !== undefined) lines.push(traceTable(run.result.trace));
    if (trace && isRolloutResult(run.result) && run.result.rolloutTrace !== undefined) lines.push(rolloutTable(run.result.rolloutTrace));
  }
  for (const s of r.same) lines.push(`same map: ${s.reason}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.grid !== null) lines.push(`comparison grid: ${r.grid}`);
  return lines;
}

function nested(t: Tensor, index: number): number[][] {
  const [, h, w] = t.shape as [number, number, number];
  return Array.from({ length: h }, (_, y) => Array.from(t.data.subarray(index * h * w + y * w, index * h * w + (y + 1) * w)));
}

/** The JSON report of one picture: classes, and per method its class, score, files, maps, weights and terms. */
export function jsonReport(r: PictureReport): unknown {
  return {
    image: r.image,
    model: r.model.name,
    top: r.top,
    grid: r.grid,
    sameMaps: r.same.map((s) => ({ methods: s.methods, reason: s.reason, structural: s.structural })),
    notes: r.notes,
    methods: r.runs.map(({ method, result, ms, files, sameAs }) => {
      const c = result.classes[0]!;
      const entry: Record<string, unknown> = {
        method,
        sameAs,
        class: c,
        className: c >= 0 ? r.model.classes[c] : null,
        score: result.scores[0],
        probability: result.probabilities[0],
        flat: result.flat[0],
        ms: Math.round(ms),
        files,
        map: nested(result.map, 0),
        upsampled: nested(result.upsampled, 0),
      };
      if ('layer' in result) {
        entry.layer = result.layer;
        entry.weights = result.weights === null ? null : Array.from(result.weights.data.subarray(0, result.weights.shape[1]!));
        const t = result.trace;
        if (t !== undefined) {
          const terms: Record<string, unknown> = { derivatives: t.derivatives, A: t.A.toArray(), d1: t.d1.toArray() };
          if (t.d2) terms.d2 = t.d2.toArray();
          if (t.d3) terms.d3 = t.d3.toArray();
          if (t.sumA) terms.sumA = t.sumA.toArray();
          if (t.alpha) terms.alpha = t.alpha.toArray();
          terms.rawMap = t.rawMap.toArray();
          entry.terms = terms;
        }
      }
      return entry;
    }),
  };
}
