/**
 * When several methods give the same map, say why in one line instead of showing "different"
 * methods with identical pictures. Equality is read from the results (the normalized maps agree
 * to 1e-9); the reason from the form of the head after the layer (src/cam/head.ts), so it holds
 * for any model of that form, not for a list of known models.
 */
import type { Module } from '../nn/module.js';
import type { ExactOutput } from './gradients.js';
import { headForm, type HeadForm } from './head.js';
import type { MethodResult } from './methods/descriptor.js';

/** One method's result as a surface ran it. */
export interface ExplainedMap {
  /** The registry's method name ('gradcam++-exact'). */
  name: string;
  result: MethodResult;
  /** Y of the exact derivatives when the method ran in exact mode (default 'exp'). */
  exactOutput?: ExactOutput;
}

/** Methods whose maps agree, and the one-line reason. */
export interface SameMaps {
  methods: string[];
  /** Why they agree (or that no structural reason is known and the agreement is this input's). */
  reason: string;
  /** Whether the reason follows from the head's form (false: a coincidence of this input). */
  structural: boolean;
}

/** Normalized maps equal to this much are the same picture. */
export const SAME_MAP_TOLERANCE = 1e-9;

const PIECEWISE: readonly HeadForm[] = ['gap-linear', 'affine', 'piecewise-linear'];
const AFFINE: readonly HeadForm[] = ['gap-linear', 'affine'];
const GAP_LINEAR: readonly HeadForm[] = ['gap-linear'];

/**
 * Pairs of formulas that coincide on some head forms, with the reason. Formulas are a result's
 * `method` ('gradcam++ (exact)' split by its Y: only Y = exp(S − S₀) matches the closed form).
 */
const RULES: ReadonlyArray<{ a: string; b: string; on: readonly HeadForm[]; why: string }> = [
  { a: 'gradcam++', b: 'gradcam++ exact exp', on: PIECEWISE, why: 'the head is piecewise linear, so ∂²S/∂A² = 0 and the exact derivatives of Y = exp(S − S₀) are Y·g², Y·g³: the closed form is exact' },
  { a: 'gradcam++', b: 'smooth gradcam++', on: AFFINE, why: 'S is affine in A, so g does not depend on the input and the noisy samples average to g, g², g³' },
  { a: 'gradcam++ exact exp', b: 'smooth gradcam++', on: AFFINE, why: 'S is affine in A, so g does not depend on the input and the noisy samples average to g, g², g³' },
  { a: 'gradcam', b: 'xgradcam', on: GAP_LINEAR, why: "g_k = W[c,k]/(h·w) is the same at every position, so XGrad-CAM's Σ g·A / ΣA_k is Grad-CAM's mean g" },
  { a: 'gradcam', b: 'hirescam', on: GAP_LINEAR, why: "g_k = W[c,k]/(h·w) is the same at every position, so HiResCAM's Σ_k g_k ⊙ A_k is Grad-CAM's Σ_k mean(g_k)·A_k" },
  { a: 'cam', b: 'gradcam', on: GAP_LINEAR, why: "Grad-CAM's weight, the mean g_k = W[c,k]/(h·w), is CAM's W[c,k] over a constant that normalization removes (and Grad-CAM's ReLU removes nothing here)" },
  { a: 'cam', b: 'xgradcam', on: GAP_LINEAR, why: "XGrad-CAM's weight Σ g·A / ΣA_k = W[c,k]/(h·w) is CAM's W[c,k] over a constant that normalization removes" },
];

function formulaOf(e: ExplainedMap): string {
  if (e.result.method !== 'gradcam++ (exact)') return e.result.method;
  return (e.exactOutput ?? 'exp') === 'exp' ? 'gradcam++ exact exp' : 'gradcam++ exact other';
}

function sameMap(a: MethodResult, b: MethodResult, tol: number): boolean {
  const x = a.upsampled.data;
  const y = b.upsampled.data;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i]! - y[i]!) <= tol)) return false;
  return a.flat.every((f, i) => f === b.flat[i]);
}

/**
 * Groups the methods whose maps agree (to `tolerance`) and gives each group of two or more its
 * reason: the head after the CAM layer (`layer`, null for saliency-only runs) and the rules that
 * connect the group's formulas on that head. One line each, e.g.
 * `gradcam++, gradcam++-exact and smooth-gradcam++ give the same map: after features.14 comes
 * GlobalAvgPool → Linear(32, 4); S is affine in A, so …`.
 */
export function sameMaps(model: Module, layer: string | null, maps: readonly ExplainedMap[], tolerance = SAME_MAP_TOLERANCE): SameMaps[] {
  const groups: ExplainedMap[][] = [];
  for (const m of maps) {
    const g = groups.find((list) => sameMap(list[0]!.result, m.result, tolerance));
    if (g === undefined) groups.push([m]);
    else g.push(m);
  }
  const head = layer === null ? null : headForm(model, layer);
  return groups.filter((g) => g.length > 1).map((g) => {
    const names = g.map((m) => m.name);
    const listed = names.length === 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
    const reasons = head === null ? null : connect(g.map(formulaOf), head.form);
    if (head === null || reasons === null) {
      return { methods: names, structural: false, reason: `${listed} give the same map for this input (no property of the model camlab knows makes them equal)` };
    }
    return { methods: names, structural: true, reason: `${listed} give the same map: after ${layer} comes ${head.layers}; ${reasons.join('; ')}` };
  });
}

/** The reasons that link every formula of a group on this head form, or null when some formula stays unlinked. */
function connect(formulas: readonly string[], form: HeadForm): string[] | null {
  const linked = new Set([formulas[0]!]);
  const reasons: string[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of RULES) {
      if (!r.on.includes(form) || !formulas.includes(r.a) || !formulas.includes(r.b)) continue;
      if (linked.has(r.a) === linked.has(r.b)) continue;
      linked.add(r.a);
      linked.add(r.b);
      if (!reasons.includes(r.why)) reasons.push(r.why);
      grew = true;
      break; // start again from the first rule: earlier rules give the shorter explanations
    }
  }
  return formulas.every((f) => linked.has(f)) ? reasons : null;
}
