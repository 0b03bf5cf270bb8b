import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHOD_DESCRIPTORS, METHOD_NAMES, methodDescriptor, methodOptions } from '../../src/cam/methods.js';
import { evalCommand } from '../../src/cli/eval.js';
import { cli } from '../support/cli.js';
import { shapesCnnSpec } from '../../src/nn/zoo.js';
import { writeRandomModel } from '../support/model-files.js';
import type { RunOptions } from '../../web/protocol.js';
import { hello, runOptions } from '../../web/worker-methods.js';

/**
 * Every surface lists the methods of the registry, in its order: the CLI's help and defaults,
 * the web worker's hello (which the page turns into its method list: web-e2e checks the page),
 * and eval, which runs every method by default.
 */

let dir: string;
let spec: string;
/** The noise-based methods, as errors list them. */
const noisy = METHOD_DESCRIPTORS.filter((d) => d.accepts.includes('samples')).map((d) => d.name).join(', ');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camlab-surfaces-'));
  spec = writeRandomModel(dir, 'model', shapesCnnSpec(), 3);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('every surface lists the registry\'s methods', () => {
  it('the CLI help of explain, demo and eval', () => {
    const explainHelp = cli(['help', 'explain']).out.split('\n');
    const at = explainHelp.findIndex((l) => l.includes('--method M'));
    const listed = explainHelp.slice(at + 1, at + 1 + METHOD_NAMES.length).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(METHOD_NAMES);
    for (const d of METHOD_DESCRIPTORS) expect(explainHelp.join('\n')).toContain(`${d.label} (${d.paper.cite})`);
    for (const cmd of ['demo', 'eval']) expect(cli(['help', cmd]).out.replace(/\s+/g, ' ')).toContain(`${METHOD_NAMES.join(', ')}`);
    expect(explainHelp.find((l) => l.includes('gradient-rollout'))).toMatch(/Gradient rollout \(Chefer, Gur & Wolf 2021\), transformers only$/);
    expect(cli(['help', 'explain']).out).toContain(`noise of ${METHOD_DESCRIPTORS.filter((d) => d.accepts.includes('samples')).map((d) => d.name).join(', ')}`);
  });

  it('the web worker: its hello lists every method (name, label, paper, stochastic) and its options fit each method', () => {
    const h = hello();
    expect(h.methods.map((m) => m.name)).toEqual(METHOD_NAMES);
    expect(h.methods.map((m) => m.label)).toEqual(METHOD_DESCRIPTORS.map((d) => d.label));
    expect(h.methods.filter((m) => m.stochastic).map((m) => m.name)).toEqual(METHOD_DESCRIPTORS.filter((d) => d.stochastic).map((d) => d.name));
    const o: RunOptions = { target: 2, samples: 3, noise: 0.1, seed: 4, exact: true, exactOutput: 'softmax', colormap: 'jet', alpha: 0.5, layer: 'features.10' };
    const shared = runOptions(o);
    expect(methodOptions(methodDescriptor('smoothgrad'), shared)).toEqual({ target: 2, samples: 3, noise: 0.1, seed: 4 });
    expect(methodOptions(methodDescriptor('gradcam++'), shared)).toEqual({ target: 2, layer: 'features.10', trace: true, exact: { output: 'softmax' } });
    expect(methodOptions(methodDescriptor('xgradcam'), shared)).toEqual({ target: 2, layer: 'features.10', trace: true });
    expect(runOptions({ ...o, exact: false, layer: null })).toEqual({ target: 2, samples: 3, noise: 0.1, seed: 4, trace: true });
  });

  it('eval runs every method that applies to the model by default (a CNN: all but the rollouts)', () => {
    const s = evalCommand(['--model', spec, '--images', '1', '--steps', '1', '--curve-images', '0', '--stability-images', '0', '--examples', '0', '--samples', '1', '--out', join(dir, 'all')], () => {});
    expect(s.methods).toEqual(METHOD_NAMES.filter((n) => methodDescriptor(n).appliesTo !== 'transformer'));
    expect(cli(['eval', '--model', spec, '--method', 'gradient-rollout', '--out', join(dir, 'r')]).err)
      .toBe('camlab: eval: gradient-rollout does not apply to shapes-cnn: it needs transformers (models with MultiheadAttention blocks)\n');
  });
});

describe('a method option no chosen method takes is an error naming the methods', () => {
  const image = new URL('../../examples/images/shapes-cross-x2.png', import.meta.url).pathname;

  it('explain: --preset with only gradcam, a preset unknown to one of the methods, --samples without a noise method', () => {
    const out = join(dir, 'x');
    expect(cli(['explain', image, '--method', 'gradcam', '--preset', 'torchcam', '--out', out]).err)
      .toBe('camlab: explain: --preset does not apply to gradcam (it applies to gradcam++, gradcam++-exact, scorecam, smooth-gradcam++)\n');
    expect(cli(['explain', image, '--method', 'gradcam++', '--method', 'smooth-gradcam++', '--preset', 'official', '--out', out]).err)
      .toBe('camlab: explain: --preset official is not a preset of smooth-gradcam++ (its presets: camlab, paper, torchcam)\n');
    expect(cli(['explain', image, '--method', 'gradcam', '--method', 'layercam', '--samples', '3', '--out', out]).err)
      .toBe(`camlab: explain: --samples does not apply to gradcam, layercam (it applies to ${noisy})\n`);
    expect(cli(['explain', image, '--method', 'cam', '--exact', '--out', out]).err).toMatch(/^camlab: explain: --exact does not apply to cam /);
    const ok = cli(['explain', image, '--method', 'gradcam', '--method', 'gradcam++', '--preset', 'torchcam', '--out', out]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('explain: --layer repeats for several layers, --aug-smooth and --eigen-smooth reach the methods that take them', () => {
    const out = join(dir, 'layers');
    const r = cli(['explain', image, '--method', 'gradcam', '--method', 'scorecam', '--layer', 'features.7', '--layer', 'features.10', '--aug-smooth', '--eigen-smooth', '--json', '--out', out]);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as { methods: Array<{ method: string; layer: string }> };
    expect(report.methods.map((m) => m.layer)).toEqual(['features.7+features.10', 'features.7+features.10']);
    expect(cli(['explain', image, '--method', 'eigencam', '--eigen-smooth', '--out', out]).err).toMatch(/^camlab: explain: --eigen-smooth does not apply to eigencam \(it applies to cam, gradcam, /);
    expect(cli(['explain', image, '--method', 'smoothgrad', '--aug-smooth', '--out', out]).err).toMatch(/^camlab: explain: --aug-smooth does not apply to smoothgrad /);
  });

  it('demo and eval check their method flags the same way', () => {
    expect(cli(['demo', '--method', 'gradcam', '--samples', '3', '--out', join(dir, 'd')]).err).toBe(`camlab: demo: --samples does not apply to gradcam (it applies to ${noisy})\n`);
    // A method that does not apply is reported per picture (the demo goes on), as CAM on a head without GAP + linear.
    expect(cli(['demo', '--method', 'attention-rollout', '--out', join(dir, 'd')]).out).toContain('- attention-rollout on mnist-2.png: attention-rollout applies to transformers (models with MultiheadAttention blocks), and Sequential is not one\n');
    expect(cli(['eval', '--model', spec, '--method', 'smoothgrad', '--layer', 'features.10', '--out', join(dir, 'e')]).err).toMatch(/^camlab: eval: --layer does not apply to smoothgrad \(it applies to cam, gradcam, /);
    expect(cli(['eval', '--method', 'nope']).err).toBe(`camlab: eval: unknown method 'nope'; known: ${METHOD_NAMES.join(', ')}\n`);
  });
});
