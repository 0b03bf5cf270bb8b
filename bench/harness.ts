/**
 * A small benchmark harness: rows are registered (see bench/kernels.ts, bench/models.ts), then
 * `runRows` times each of ours and its baselines in this process and reports medians.
 *
 * Timing: a few warm-up calls (so V8 has optimized the code), then repetitions until a time budget
 * is spent and at least `minReps` calls ran (capped by `maxReps`); the median call time is
 * reported. Kernels are sampled in several rounds over all rows (see RunOptions.rounds), so a burst
 * of load from other processes spoils one round rather than a row. Baselines are keyed, so rows
 * that share a baseline share its samples. A baseline may be asynchronous (onnxruntime-web's
 * session.run) and may need a setup before its samples (switching tfjs's backend).
 */
import { getThreads, setThreads } from '../src/tensor/wasm/threads.js';

export interface TimingOptions {
  /** Warm-up calls before timing (default 3). */
  warmup?: number;
  /** Minimum timed calls (default 5). */
  minReps?: number;
  /** Maximum timed calls (default 200). */
  maxReps?: number;
  /** Keep repeating until this much time has been spent (default 1500 ms). */
  budgetMs?: number;
}

/** A measured reference implementation, shared between rows through its `key`. */
export interface Baseline {
  key: string;
  /** Which library, for the JSON rows: 'tfjs-cpu', 'tfjs-wasm', 'onnxruntime-web'. */
  id: string;
  /** Threads the baseline computes on. */
  threads: number;
  /** What it is, for the note lines, e.g. "tfjs-cpu conv2d (float32, NHWC)". */
  label: string;
  run: () => unknown;
  /** Called (and awaited) before each batch of samples, e.g. to select tfjs's backend. */
  setup?: () => Promise<void>;
  timing?: TimingOptions;
}

export interface Row {
  name: string;
  shape: string;
  dtype: string;
  /** Threads camlab's kernels may use for this row (setThreads); default 1. */
  threads?: number;
  /** Floating-point operations of one call (for GFLOP/s). */
  flops: number;
  /** One call of our kernel (inputs prepared outside, e.g. lazily in a closure). */
  ours: () => unknown;
  oursTiming?: TimingOptions;
  /** The baselines this row is compared with: one result line per baseline. */
  baselines?: readonly Baseline[];
  /** Our time as a multiple of these (table only), e.g. a CAM method in units of one forward pass. */
  costIn?: readonly Baseline[];
  /** Items one call processes, for a throughput note (table only), e.g. { count: 32, unit: 'images' }. */
  throughput?: { count: number; unit: string };
  /** A note printed with the row (table only). */
  note?: string;
}

export interface RowResult {
  name: string;
  shape: string;
  dtype: string;
  threads: number;
  oursMs: number;
  /** min and max of our samples (the spread on a shared machine). */
  oursRange: [number, number];
  baseline: string | null;
  baselineThreads: number | null;
  baselineMs: number | null;
  gflops: number;
  /** Speed-up: baseline time / our time (> 1 means ours is faster). */
  ratio: number | null;
  costIn: { label: string; ms: number; multiple: number }[];
  perSecond: { value: number; unit: string } | null;
  note: string | null;
}

const registry: Row[] = [];

export function register(row: Row): void {
  registry.push(row);
}

/** A value made on first use (so rows that are filtered out never build their inputs). */
export function lazy<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

/** Times in ms of repeated calls of `fn` after warm-up, with adaptive repetitions. */
async function sample(fn: () => unknown, opts: TimingOptions = {}): Promise<number[]> {
  const warmup = opts.warmup ?? 3;
  const minReps = opts.minReps ?? 5;
  const maxReps = opts.maxReps ?? 200;
  const budget = opts.budgetMs ?? 1500;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (times.length < minReps || performance.now() - start < budget)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

function median(xs: readonly number[]): number {
  const t = [...xs].sort((a, b) => a - b);
  const mid = t.length >> 1;
  return t.length % 2 === 1 ? t[mid]! : (t[mid - 1]! + t[mid]!) / 2;
}

export interface RunOptions {
  filter?: string | undefined;
  /**
   * Every kernel (ours and the baselines) is timed in this many rounds over all selected rows,
   * each round with 1/rounds of its budget and repetitions and the warm-up only in the first;
   * the median is taken over the pooled samples. A baseline with maxReps 1 runs once. Default 3.
   */
  rounds?: number;
  /** Called with a progress line before each measurement (e.g. to print on stderr). */
  progress?: (msg: string) => void;
  /** Called before each measurement, e.g. a full GC so that one measurement's garbage is not collected in the next. */
  beforeEach?: () => void;
}

/** Runs the registered rows whose "name shape dtype" contains `filter` (case-insensitive). */
export async function runRows(opts: RunOptions = {}): Promise<RowResult[]> {
  const f = opts.filter?.toLowerCase();
  const rows = registry.filter((r) => f === undefined || `${r.name} ${r.shape} ${r.dtype}`.toLowerCase().includes(f));
  const baselines = new Map<string, Baseline>();
  for (const r of rows) for (const b of [...(r.baselines ?? []), ...(r.costIn ?? [])]) baselines.set(b.key, b);
  const rounds = Math.max(1, opts.rounds ?? 3);
  const perRound = (t: TimingOptions, round: number): TimingOptions => ({
    warmup: round === 0 ? (t.warmup ?? 3) : 0,
    minReps: Math.max(1, Math.ceil((t.minReps ?? 5) / rounds)),
    maxReps: Math.max(1, Math.ceil((t.maxReps ?? 200) / rounds)),
    budgetMs: (t.budgetMs ?? 1500) / rounds,
  });
  const ours = rows.map((): number[] => []);
  const base = new Map<string, number[]>([...baselines.keys()].map((k) => [k, []]));
  const threadsBefore = getThreads();
  for (let round = 0; round < rounds; round++) {
    for (const [i, r] of rows.entries()) {
      opts.progress?.(`ours (round ${round + 1}/${rounds}): ${r.name} ${r.shape} ${r.dtype} ${r.threads ?? 1}t`);
      opts.beforeEach?.();
      setThreads(r.threads ?? 1);
      ours[i]!.push(...(await sample(r.ours, perRound(r.oursTiming ?? {}, round))));
    }
    setThreads(threadsBefore);
    for (const b of baselines.values()) {
      // A baseline limited to a single call (tfjs-cpu's conv weight gradient: ~20 s) runs once.
      if (b.timing?.maxReps === 1 && round > 0) continue;
      opts.progress?.(`baseline (round ${round + 1}/${rounds}): ${b.label}`);
      opts.beforeEach?.();
      await b.setup?.();
      base.get(b.key)!.push(...(await sample(b.run, b.timing?.maxReps === 1 ? b.timing : perRound(b.timing ?? {}, round))));
    }
  }
  const baseMs = (b: Baseline): number => median(base.get(b.key)!);
  return rows.flatMap((r, i): RowResult[] => {
    const oursMs = median(ours[i]!);
    const common = {
      name: r.name,
      shape: r.shape,
      dtype: r.dtype,
      threads: r.threads ?? 1,
      oursMs,
      oursRange: [Math.min(...ours[i]!), Math.max(...ours[i]!)] as [number, number],
      gflops: r.flops === 0 ? 0 : r.flops / oursMs / 1e6,
      costIn: (r.costIn ?? []).map((b) => {
        const ms = baseMs(b);
        return { label: b.label, ms, multiple: oursMs / ms };
      }),
      perSecond: r.throughput ? { value: (r.throughput.count * 1000) / oursMs, unit: `${r.throughput.unit}/s` } : null,
      note: r.note ?? null,
    };
    const bs = r.baselines ?? [];
    if (bs.length === 0) return [{ ...common, baseline: null, baselineThreads: null, baselineMs: null, ratio: null }];
    return bs.map((b) => {
      const ms = baseMs(b);
      return { ...common, baseline: b.id, baselineThreads: b.threads, baselineMs: ms, ratio: ms / oursMs };
    });
  });
}

/** A plain-text table of results, one line per row and baseline. */
export function formatTable(results: readonly RowResult[]): string {
  const header = ['name', 'shape', 'dtype', 'thr', 'ours ms', 'range', 'GFLOP/s', 'baseline', 'baseline ms', 'speed-up', 'notes'];
  const body = results.map((r) => [
    r.name,
    r.shape,
    r.dtype,
    String(r.threads),
    r.oursMs.toFixed(2),
    `${r.oursRange[0].toFixed(1)}-${r.oursRange[1].toFixed(1)}`,
    r.gflops === 0 ? '-' : r.gflops.toFixed(1),
    r.baseline === null ? '-' : `${r.baseline} ${r.baselineThreads}t`,
    r.baselineMs === null ? '-' : r.baselineMs.toFixed(2),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    [
      ...r.costIn.map((v) => `costs ${v.multiple.toFixed(2)}x ${v.label}`),
      ...(r.perSecond ? [`${r.perSecond.value.toFixed(1)} ${r.perSecond.unit}`] : []),
      ...(r.note !== null ? [r.note] : []),
    ].join('; '),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const right = new Set([3, 4, 5, 6, 8, 9]);
  const line = (row: string[]): string => row.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/**
 * One JSON object per row and baseline with the keys name, shape, dtype, threads, oursMs,
 * oursRange, gflops, baseline (its id, e.g. "tfjs-wasm", or null), baselineThreads, baselineMs, ratio.
 */
export function formatJson(results: readonly RowResult[]): string {
  return results
    .map((r) =>
      JSON.stringify({
        name: r.name, shape: r.shape, dtype: r.dtype, threads: r.threads, oursMs: r.oursMs, oursRange: r.oursRange, gflops: r.gflops,
        baseline: r.baseline, baselineThreads: r.baselineThreads, baselineMs: r.baselineMs, ratio: r.ratio,
      }),
    )
    .join('\n');
}
