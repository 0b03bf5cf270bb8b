/**
 * The term explorer's maps for one channel k of a Grad-CAM++-family result: A_k, the three
 * derivative terms, α and ReLU(g)·α, whose sum over positions is the channel's weight w_k
 * (eq. 19: w_k = Σ_ij α_k,ij ReLU(g_k,ij)). Pure (no DOM), tested against channelSummary.
 */
import type { TermMaps } from './protocol.js';

export interface ChannelTerms {
  /** One caption per map, in order: A, the derivatives, α, ReLU(·)·α. */
  labels: string[];
  /** The maps, h·w each. */
  maps: Float64Array[];
  height: number;
  width: number;
  /** Σ_ij ReLU(g)·α: the channel's weight. */
  weight: number;
}

/**
 * Captions of the derivative terms from the trace's `derivatives` note: the closed form's g, g²,
 * g³; exact mode's ∂ⁿY/∂Aⁿ; or Smooth Grad-CAM++'s noise means D1, D2, D3.
 */
export function termLabels(derivatives: string): [string, string, string] {
  if (derivatives.startsWith('exact diagonals')) return ['∂Y/∂A', '∂²Y/∂A²', '∂³Y/∂A³'];
  if (derivatives.includes('moments')) return ['D1 = mean g', 'D2 = mean g²', 'D3 = mean g³'];
  return ['g = ∂S/∂A', 'g²', 'g³'];
}

/** The six maps of channel k. */
export function channelTerms(t: TermMaps, k: number, derivatives: string): ChannelTerms {
  if (!Number.isInteger(k) || k < 0 || k >= t.channels) throw new Error(`channel ${k} is out of range: the layer has ${t.channels} channels`);
  const n = t.height * t.width;
  const part = (a: Float64Array): Float64Array => a.slice(k * n, (k + 1) * n);
  const [A, d1, d2, d3, alpha] = [t.A, t.d1, t.d2, t.d3, t.alpha].map(part) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const contribution = alpha.map((a, i) => a * Math.max(0, d1[i]!));
  const [l1, l2, l3] = termLabels(derivatives);
  const g = l1.split(' ')[0]!;
  return {
    labels: [`A_${k}`, l1, l2, l3, 'α', `ReLU(${g})·α`],
    maps: [A, d1, d2, d3, alpha, contribution],
    height: t.height,
    width: t.width,
    weight: contribution.reduce((s, v) => s + v, 0),
  };
}

/** A map min-max scaled to [0, 1] for display (a constant map is all zeros), with its range. */
export function scaled(map: Float64Array): { values: Float64Array; min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return { values: map.map((v) => (span > 0 ? (v - min) / span : 0)), min, max };
}
