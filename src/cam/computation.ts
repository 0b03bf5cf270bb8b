/**
 * Which runs are the same computation, so that a surface computes each once: gradcam++-exact is
 * gradcam++ with exact derivatives (its descriptor's `variantOf`), so with exact mode on the two
 * are one computation, and the second is a copy of the first.
 */
import type { ExactOutput } from './gradients.js';
import { methodDescriptor, methodOptions, type ExplainOptions } from './methods.js';

/** JSON with object keys sorted, so that equal options give equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * The computation a method runs with `opts` (the options it accepts), as the base method and
 * its options: a variant's defaults fill options not given (or given as false).
 */
export function computationOf(method: string, opts: ExplainOptions): { method: string; options: Record<string, unknown> } {
  const d = methodDescriptor(method);
  const own = methodOptions(d, opts) as Record<string, unknown>;
  if (d.variantOf === undefined) return { method: d.name, options: own };
  const options = { ...own };
  for (const [k, v] of Object.entries(d.variantOf.defaults)) {
    if (options[k] === undefined || options[k] === false) options[k] = v;
  }
  // `true` is the default options object of an option that takes one (exact: true ≡ exact: {}).
  for (const [k, v] of Object.entries(options)) if (v === true && typeof d.variantOf.defaults[k] === 'object') options[k] = d.variantOf.defaults[k];
  return { method: d.variantOf.method, options };
}

/** A text key equal for two runs exactly when they are the same computation. */
export function computationKey(method: string, opts: ExplainOptions): string {
  const c = computationOf(method, opts);
  return `${c.method} ${canonical(c.options)}`;
}

/** Y of a method's exact derivatives with these options (undefined: it does not run in exact mode). */
export function exactOutputOf(method: string, opts: ExplainOptions): ExactOutput | undefined {
  const exact = computationOf(method, opts).options.exact as boolean | { output?: ExactOutput } | undefined;
  if (exact === undefined || exact === false) return undefined;
  return exact === true ? 'exp' : exact.output ?? 'exp';
}
