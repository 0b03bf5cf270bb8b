/**
 * How far apart are the exact and the closed-form α of Grad-CAM++ rollout on attention?
 * (docs/transformers.md §4.)
 *
 *   npx tsx scripts/rollout-alpha.ts [--model shapes-vit] [--images 24]
 *
 * For the first N held-out shapes images of `camlab eval` (1, 2 and 3 instances in turn), runs
 * Grad-CAM++ rollout with the closed form (d2 = g², d3 = g³) and with the exact diagonals of
 * Y = exp(S − S₀), and prints per block, over the attention entries where ∂Y/∂A > 0 (the only
 * ones where α enters the map): the median and 90th percentile of |α_exact − α_closed| / α_closed,
 * the share of entries whose α moves by more than 10 %, and Pearson's r of the two; then per
 * image group the difference of the maps: mean |Δ| of the normalized 64x64 maps, Spearman's ρ of
 * the 8x8 patch values, and how often the most important patch is the same. Deterministic.
 */
import '../src/node-workers.js';
import { gradCamPlusPlusRollout, type RolloutResult } from '../src/cam/rollout/methods.js';
import { pearsonCorrelation as pearson } from '../src/cam/metrics.js';
import { shapesEvalSet } from '../src/data/eval-sets.js';
import { makeBatch } from '../src/nn/train.js';
import { resolveModel } from '../src/node/files.js';

const args = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const { spec, module } = resolveModel(flag('model', 'shapes-vit'));
const count = Number(flag('images', '24'));
const data = shapesEvalSet(count);

function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Ranks with ties given their average rank (so the many zeros of ReLU'd maps do not order themselves). */
const ranks = (v: readonly number[]): number[] => {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let k = 0; k < order.length; ) {
    let e = k;
    while (e + 1 < order.length && order[e + 1]![0] === order[k]![0]) e++;
    for (let t = k; t <= e; t++) r[order[t]![1]] = (k + e) / 2;
    k = e + 1;
  }
  return r;
};

const blocks: Array<{ rel: number[]; closed: number[]; exact: number[] }> = [];
const groups = new Map<string, { meanAbs: number[]; rho: number[]; sameTop: number; n: number }>();
let seconds = 0;
for (let i = 0; i < count; i++) {
  const sample = data.get(i);
  const x = makeBatch(data, [i], 0, spec.input, 'float64').x;
  const closed = gradCamPlusPlusRollout(module, x, { trace: true });
  const t0 = performance.now();
  const exact: RolloutResult = gradCamPlusPlusRollout(module, x, { trace: true, exact: true, target: closed.classes });
  seconds += (performance.now() - t0) / 1000;
  const tc = closed.rolloutTrace!;
  const te = exact.rolloutTrace!;
  tc.alpha!.forEach((ac, l) => {
    const b = (blocks[l] ??= { rel: [], closed: [], exact: [] });
    const d1 = te.d1![l]!.data;
    const ae = te.alpha![l]!.data;
    for (let e = 0; e < d1.length; e++) {
      if (!(d1[e]! > 0) || !(ac.data[e]! > 0)) continue;
      b.rel.push(Math.abs(ae[e]! - ac.data[e]!) / ac.data[e]!);
      b.closed.push(ac.data[e]!);
      b.exact.push(ae[e]!);
    }
  });
  const g = groups.get(sample.group!) ?? { meanAbs: [], rho: [], sameTop: 0, n: 0 };
  const u = closed.upsampled.data;
  const v = exact.upsampled.data;
  g.meanAbs.push(u.reduce((s, a, k) => s + Math.abs(a - v[k]!), 0) / u.length);
  const pc = Array.from(closed.map.data);
  const pe = Array.from(exact.map.data);
  g.rho.push(pearson(ranks(pc), ranks(pe)));
  if (pc.indexOf(Math.max(...pc)) === pe.indexOf(Math.max(...pe))) g.sameTop++;
  g.n++;
  groups.set(sample.group!, g);
  process.stderr.write(`\r${i + 1}/${count} images, exact ${(seconds / (i + 1)).toFixed(1)} s per image`);
}
process.stderr.write('\n');

const f = (v: number): string => (Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1));
console.log(`${spec.name}, ${count} held-out shapes images, Y = exp(S − S0); entries with dY/dA > 0 (where α enters the map)`);
console.log('block | entries | median |Δα|/α | 90th pct | share > 10% | Pearson r(α closed, α exact) | mean α closed | mean α exact');
blocks.forEach((b, l) => {
  const over = b.rel.filter((r) => r > 0.1).length / b.rel.length;
  const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
  console.log(`${l} | ${b.rel.length} | ${f(quantile(b.rel, 0.5))} | ${f(quantile(b.rel, 0.9))} | ${(100 * over).toFixed(1)}% | ${f(pearson(b.closed, b.exact))} | ${f(mean(b.closed))} | ${f(mean(b.exact))}`);
});
console.log('instances | images | mean |map exact − map closed| | Spearman ρ of the 8x8 maps (median) | same top patch');
for (const [k, g] of [...groups].sort()) {
  console.log(`${k} | ${g.n} | ${f(g.meanAbs.reduce((s, a) => s + a, 0) / g.n)} | ${f(quantile(g.rho, 0.5))} | ${g.sameTop}/${g.n}`);
}
console.log(`exact Grad-CAM++ rollout: ${(seconds / count).toFixed(1)} s per image on average (this machine, this run)`);
