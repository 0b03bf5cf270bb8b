import { curveFractions, winPercent, type WinResult } from '../metrics.js';
import type { EvalContext, EvalRecord } from './records.js';
import { WIN_TOLERANCE } from './settings.js';

/** Aggregates of one method on one group of images. */
export interface GroupMetrics {
  images: number;
  averageDrop: number;
  increaseInConfidence: number;
  /** Mean deletion/insertion AUC over the group's images with curves (null when none). */
  deletionAuc: number | null;
  insertionAuc: number | null;
  curveImages: number;
  energy: number | null;
  pointing: number | null;
  /** % of instances covered, per threshold (keys '0.25', …). */
  coverage: Record<string, number> | null;
  totalVariation: number;
  stability: number | null;
  stabilityImages: number;
  flat: number;
  meanDeletion: number[];
  meanInsertion: number[];
}

/** What an evaluation found: its context (data, model, layer, methods, settings, groups) and every method's aggregates (deterministic: no timings). */
export interface EvalSummary extends Pick<EvalContext, 'data' | 'model' | 'layer' | 'images' | 'methods' | 'settings' | 'groups' | 'localization'> {
  /** Accuracy (%) of the model on the evaluated images, per group. */
  accuracy: Record<string, number>;
  fractions: number[];
  results: Record<string, Record<string, GroupMetrics>>;
  /** win[a][b]: % of images where a's drop is smaller than b's by more than 1e-6 points (ties count for neither), all images. */
  win: Record<string, Record<string, WinResult>>;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Aggregates per-image records into the summary: per method and group, Average Drop % =
 * mean drop, Increase in Confidence % = 100·share of O > Y, mean AUCs and curves, energy,
 * pointing %, coverage % per threshold, total variation, stability; Win % between methods on
 * all images. Every mean sums the records in image order, so records of shards concatenated in
 * order give exactly (bit for bit) the summary of one run.
 */
export function summarize(ctx: EvalContext, records: readonly EvalRecord[]): EvalSummary {
  const { methods, groups, settings } = ctx;
  const fractions = curveFractions(settings.steps, ctx.shape[1] * ctx.shape[2]);
  const inGroup = (r: EvalRecord, g: string): boolean => g === 'all' || r.group === g;
  const firstMethod = methods[0]!;
  const accuracy: Record<string, number> = {};
  for (const g of groups) {
    const rs = records.filter((r) => r.method === firstMethod && inGroup(r, g));
    accuracy[g] = (100 * rs.filter((r) => r.predicted === r.label).length) / Math.max(1, rs.length);
  }
  const results: Record<string, Record<string, GroupMetrics>> = {};
  for (const m of methods) {
    results[m] = {};
    for (const g of groups) {
      const rs = records.filter((r) => r.method === m && inGroup(r, g));
      const stab = rs.filter((r) => r.stability !== null).map((r) => r.stability!);
      const withCurves = rs.filter((r) => r.deletion !== null);
      const meanCurve = (pick: (r: EvalRecord) => number[] | null): number[] => (withCurves.length === 0 ? [] : fractions.map((_, s) => mean(withCurves.map((r) => pick(r)![s]!))));
      const cov = ctx.localization ? Object.fromEntries(settings.thresholds.map((t, ti) => {
        const inst = rs.reduce((a, r) => a + (r.instances ?? 0), 0);
        const cv = rs.reduce((a, r) => a + (r.covered?.[ti] ?? 0), 0);
        return [String(t), (100 * cv) / Math.max(1, inst)];
      })) : null;
      results[m]![g] = {
        images: rs.length,
        averageDrop: mean(rs.map((r) => r.drop)),
        increaseInConfidence: (100 * rs.filter((r) => r.increase).length) / rs.length,
        deletionAuc: withCurves.length === 0 ? null : mean(withCurves.map((r) => r.deletionAuc!)),
        insertionAuc: withCurves.length === 0 ? null : mean(withCurves.map((r) => r.insertionAuc!)),
        curveImages: withCurves.length,
        energy: ctx.localization ? mean(rs.map((r) => r.energy!)) : null,
        pointing: ctx.localization ? (100 * rs.filter((r) => r.pointing).length) / rs.length : null,
        coverage: cov,
        totalVariation: mean(rs.map((r) => r.tv)),
        stability: stab.length > 0 ? mean(stab) : null,
        stabilityImages: stab.length,
        flat: rs.filter((r) => r.flat).length,
        meanDeletion: meanCurve((r) => r.deletion),
        meanInsertion: meanCurve((r) => r.insertion),
      };
    }
  }
  const drops = new Map(methods.map((m) => [m, records.filter((r) => r.method === m).map((r) => r.drop)]));
  const win: Record<string, Record<string, WinResult>> = {};
  for (const a of methods) {
    win[a] = {};
    for (const b of methods) if (a !== b) win[a]![b] = winPercent(drops.get(a)!, drops.get(b)!, { tolerance: WIN_TOLERANCE });
  }
  return {
    data: ctx.data, model: ctx.model, layer: ctx.layer, images: ctx.images, methods: [...methods], settings,
    groups: [...groups], localization: ctx.localization, accuracy, fractions, results, win,
  };
}
