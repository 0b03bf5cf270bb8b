/**
 * The worker's side of camlab's method registry: the methods the page offers and the options of
 * a run. Every method gets one options object; `explain` gives each method the options it
 * accepts (no per-method option building here).
 */
import { DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES, METHOD_DESCRIPTORS, type ExplainOptions } from '../src/index.js';
import type { Hello, RunOptions } from './protocol.js';

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
