import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveWeights } from '../../src/io/model.js';
import { heInit } from '../../src/nn/init.js';
import { buildModel, type ModelSpec } from '../../src/nn/spec.js';
import { Rng } from '../../src/tensor/rng.js';

/**
 * Writes a model with the spec's architecture and seeded random (He) weights to dir/name
 * (spec.json + model.safetensors) and returns the spec's path, for CLI tests that must not
 * depend on the trained bundled models.
 */
export function writeRandomModel(dir: string, name: string, spec: ModelSpec, seed: number): string {
  const m = buildModel(spec, new Rng(seed));
  heInit(m.namedParameters(), new Rng(seed + 1));
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'spec.json'), JSON.stringify(spec));
  writeFileSync(join(d, 'model.safetensors'), saveWeights(m));
  return join(d, 'spec.json');
}
