/**
 * The worker's side of camlab's method registry: the methods the page offers and the options of
 * a run. Every method gets one options object; `explain` gives each method the options it
 * accepts (no per-method option building here).
 */
import { channelSummary, DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES, METHOD_DESCRIPTORS, methodDescriptor, type ExplainOptions, type MethodResult, type Tensor } from '../src/index.js';
import { mapTags } from '../src/cli/file-names.js';
import type { Hello, MethodOutput, RunOptions, TermMaps } from './protocol.js';

/** The worker's hello: the registry's methods, in order, and the noise defaults. */
export function hello(): Hello {
  return {
    type: 'hello',
    methods: METHOD_DESCRIPTORS.map((d) => ({ name: d.name, label: d.label, paper: d.paper.cite, stochastic: d.stochastic, appliesTo: d.appliesTo })),
    defaults: { samples: DEFAULT_NOISE_SAMPLES, noise: DEFAULT_NOISE_LEVEL },
  };
}

/** The options of a run for every method (traced, so CAM results carry their per-channel terms). */
export function runOptions(o: RunOptions): ExplainOptions {
  const opts: ExplainOptions = { target: o.target, samples: o.samples, noise: o.noise, seed: o.seed, trace: true };
  if (o.layer !== null) opts.layer = o.layer;
  if (o.exact) opts.exact = { output: o.exactOutput };
  return opts;
}

/** Image 0 of a [N, …] tensor as a fresh float64 array. */
function first(t: Tensor): Float64Array<ArrayBuffer> {
  const per = t.size / t.shape[0]!;
  return Float64Array.from(t.data.subarray(0, per));
}

/**
 * What the page gets of a method's result: image 0's normalized map, the per-channel terms of its
 * trace, the tags of its settings for file names (as the command line names them), and for the
 * Grad-CAM++ family (a trace with α) the term maps of the term explorer.
 */
export function methodOutput(method: string, r: MethodResult, ms: number, opts: ExplainOptions): MethodOutput {
  const [, h, w] = r.upsampled.shape as [number, number, number];
  const output: MethodOutput = {
    method, reported: r.method, ms, classIndex: r.classes[0]!, flat: r.flat[0]!, width: w, height: h, map: first(r.upsampled),
    tags: mapTags(methodDescriptor(method), opts),
  };
  if (!('layer' in r)) return output;
  output.layer = r.layer;
  const t = r.trace;
  if (t === undefined) return output;
  output.channels = channelSummary(t);
  output.derivatives = t.derivatives;
  if (t.alpha !== undefined && t.d2 !== undefined && t.d3 !== undefined) {
    const [, k, th, tw] = t.A.shape as [number, number, number, number];
    const terms: TermMaps = { channels: k, height: th, width: tw, A: first(t.A), d1: first(t.d1), d2: first(t.d2), d3: first(t.d3), alpha: first(t.alpha) };
    output.terms = terms;
  }
  return output;
}
