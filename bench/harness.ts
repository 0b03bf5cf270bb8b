/**
 * A small benchmark harness: rows are registered (see bench/kernels.ts), then `runRows` times each
 * of ours and its baseline in this process and reports medians.
 *
 * Timing: a few warm-up calls (so V8 has optimized the code), then repetitions until a time budget
 * is spent and at least `minReps` calls ran (capped by `maxReps`); the median call time is
 * reported. Kernels are sampled in several rounds over all rows (see RunOptions.rounds).
 * Baselines are keyed, so rows that share a baseline (the float32 and float64 rows against
 * tfjs's float32 kernel) share its samples.
 */

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
  /** What it is, for the note lines, e.g. "tfjs-cpu conv2d (float32, NHWC)". */
  label: string;
  run: () => unknown;
  timing?: TimingOptions;
}

export interface Row {
  name: string;
  shape: string;
  dtype: string;
  /** Floating-point operations of one call (for GFLOP/s). */
  flops: number;
  /** One call of our kernel (inputs prepared outside, e.g. lazily in a closure). */
  ours: () => unknown;
  oursTiming?: TimingOptions;
  baseline?: Baseline;
  /** Further baselines to print speed-ups against (table only), e.g. tfjs's conv forward. */
  alsoVs?: readonly Baseline[];
  /** Our time as a multiple of these (table only), e.g. a CAM method in units of one forward pass. */
  costIn?: readonly Baseline[];
  /** Items one call processes, for a throughput note (table only), e.g. { count: 32, unit: 'images' }. */
  throughput?: { count: number; unit: string };
}

export interface RowResult {
  name: string;
  shape: string;
  dtype: string;
  oursMs: number;
  baselineMs: number | null;
  gflops: number;
  /** Speed-up: baseline time / our time (> 1 means ours is faster). */
  ratio: number | null;
  alsoVs: { label: string; ms: number; ratio: number }[];
  costIn: { label: string; ms: number; multiple: number }[];
  perSecond: { value: number; unit: string } | null;
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
function sample(fn: () => unknown, opts: TimingOptions = {}): number[] {
  const warmup = opts.warmup ?? 3;
  const minReps = opts.minReps ?? 5;
  const maxReps = opts.maxReps ?? 200;
  const budget = opts.budgetMs ?? 1500;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (times.length < minReps || performance.now() - start < budget)) {
    const t0 = performance.now();
    fn();
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
   * the median is taken over the pooled samples, so a burst of load from other processes spoils
   * one round rather than a row. A baseline with maxReps 1 runs once. Default 3.
   */
  rounds?: number;
  /** Called with a progress line before each measurement (e.g. to print on stderr). */
  progress?: (msg: string) => void;
  /**
   * Called before each measurement, e.g. a full GC so that garbage left by the previous
   * measurement (tfjs leaves tens of MB) is not collected while the next one is timed.
   */
  beforeEach?: () => void;
}

/** Runs the registered rows whose "name shape dtype" contains `filter` (case-insensitive). */
export function runRows(opts: RunOptions = {}): RowResult[] {
  const f = opts.filter?.toLowerCase();
  const rows = registry.filter((r) => f === undefined || `${r.name} ${r.shape} ${r.dtype}`.toLowerCase().includes(f));
  const baselines = new Map<string, Baseline>();
  for (const r of rows) for (const b of [...(r.baseline ? [r.baseline] : []), ...(r.alsoVs ?? []), ...(r.costIn ?? [])]) baselines.set(b.key, b);
  const rounds = Math.max(1, opts.rounds ?? 3);
  const perRound = (t: TimingOptions, round: number): TimingOptions => ({
    warmup: round === 0 ? (t.warmup ?? 3) : 0,
    minReps: Math.max(1, Math.ceil((t.minReps ?? 5) / rounds)),
    maxReps: Math.max(1, Math.ceil((t.maxReps ?? 200) / rounds)),
    budgetMs: (t.budgetMs ?? 1500) / rounds,
  });
  const ours = rows.map((): number[] => []);
  const base = new Map<string, number[]>([...baselines.keys()].map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    rows.forEach((r, i) => {
      opts.progress?.(`ours (round ${round + 1}/${rounds}): ${r.name} ${r.shape} ${r.dtype}`);
      opts.beforeEach?.();
      ours[i]!.push(...sample(r.ours, perRound(r.oursTiming ?? {}, round)));
    });
    for (const b of baselines.values()) {
      // A baseline limited to a single call (tfjs's conv weight gradient: ~20 s) runs once.
      if (b.timing?.maxReps === 1 && round > 0) continue;
      opts.progress?.(`baseline (round ${round + 1}/${rounds}): ${b.label}`);
      opts.beforeEach?.();
      base.get(b.key)!.push(...sample(b.run, b.timing?.maxReps === 1 ? b.timing : perRound(b.timing ?? {}, round)));
    }
  }
  const baseMs = (b: Baseline): number => median(base.get(b.key)!);
  return rows.map((r, i) => {
    const oursMs = median(ours[i]!);
    const baselineMs = r.baseline ? baseMs(r.baseline) : null;
    return {
      name: r.name,
      shape: r.shape,
      dtype: r.dtype,
      oursMs,
      baselineMs,
      gflops: r.flops === 0 ? 0 : r.flops / oursMs / 1e6,
      ratio: baselineMs === null ? null : baselineMs / oursMs,
      alsoVs: (r.alsoVs ?? []).map((b) => {
        const ms = baseMs(b);
        return { label: b.label, ms, ratio: ms / oursMs };
      }),
      costIn: (r.costIn ?? []).map((b) => {
        const ms = baseMs(b);
        return { label: b.label, ms, multiple: oursMs / ms };
      }),
      perSecond: r.throughput ? { value: (r.throughput.count * 1000) / oursMs, unit: `${r.throughput.unit}/s` } : null,
    };
  });
}

/** A plain-text table of results. */
export function formatTable(results: readonly RowResult[]): string {
  const header = ['name', 'shape', 'dtype', 'ours ms', 'baseline ms', 'GFLOP/s', 'speed-up', 'notes'];
  const body = results.map((r) => [
    r.name,
    r.shape,
    r.dtype,
    r.oursMs.toFixed(2),
    r.baselineMs === null ? '-' : r.baselineMs.toFixed(2),
    r.gflops === 0 ? '-' : r.gflops.toFixed(2),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    [
      ...r.alsoVs.map((v) => `${v.ratio.toFixed(2)}x vs ${v.label}`),
      ...r.costIn.map((v) => `costs ${v.multiple.toFixed(2)}x ${v.label}`),
      ...(r.perSecond ? [`${r.perSecond.value.toFixed(1)} ${r.perSecond.unit}`] : []),
    ].join('; '),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** One JSON object per row with exactly the keys name, shape, dtype, oursMs, baselineMs, gflops, ratio. */
export function formatJson(results: readonly RowResult[]): string {
  return results
    .map((r) =>
      JSON.stringify({ name: r.name, shape: r.shape, dtype: r.dtype, oursMs: r.oursMs, baselineMs: r.baselineMs, gflops: r.gflops, ratio: r.ratio }),
    )
    .join('\n');
}
