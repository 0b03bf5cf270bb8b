import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Progress } from '../../src/cli/progress.js';
import { evalCommand, type EvalSummary } from '../../src/cli/eval.js';
import { type ModelSpec } from '../../src/nn/spec.js';
import { mnistCnnSpec, shapesCnnSpec } from '../../src/nn/zoo.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { writeRandomModel } from '../support/model-files.js';

/**
 * These tests do not depend on the trained bundled models: they write small random-weight models
 * with the bundled architectures to a temp directory and pass their spec path to --model.
 */
let dir: string;

function writeModel(name: string, spec: ModelSpec, seed: number): string {
  return writeRandomModel(dir, name, spec, seed);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camlab-eval-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function allNumbers(v: unknown, path = ''): Array<[string, number]> {
  if (typeof v === 'number') return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => allNumbers(x, `${path}[${i}]`));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => allNumbers(x, `${path}.${k}`));
  return [];
}

describe('camlab eval', () => {
  it('shapes: writes every file, finite numbers, per-instance groups; the same command gives the same summary', () => {
    const spec = writeModel('shapes', shapesCnnSpec(), 3);
    const weights = join(dir, 'shapes', 'model.safetensors');
    const run = (out: string): { summary: EvalSummary; logs: string[]; progress: string[] } => {
      const logs: string[] = [];
      const progress: string[] = [];
      let clock = 0; // a second per look at the clock: every update is drawn
      const summary = evalCommand(['--model', spec, '--weights', weights, '--images', '4', '--method', 'gradcam', '--method', 'smooth-gradcam++', '--samples', '2', '--steps', '4', '--examples', '2', '--out', out], (s) => logs.push(s), new Progress({ write: (s: string) => progress.push(s), isTTY: true }, () => (clock += 1000)));
      return { summary, logs, progress };
    };
    const a = run(join(dir, 'out-a'));
    for (const f of ['results.csv', 'summary.json', 'timing.json', 'curves.svg', 'bars.svg', 'index.html', 'examples/img0-input.png', 'examples/img1-mask.png', 'examples/img1-smooth-gradcampp.png']) {
      expect(existsSync(join(dir, 'out-a', f)), f).toBe(true);
    }
    const s = a.summary;
    expect(s.methods).toEqual(['gradcam', 'smooth-gradcam++']);
    expect(s.groups).toEqual(['all', '1', '2', '3']);
    expect(s.layer).toBe('features.14');
    expect(s.settings.explained).toBe('predicted');
    expect(s.results.gradcam!.all!.images).toBe(4);
    expect(s.results.gradcam!['1']!.images).toBe(2); // images 0 and 3 have one instance
    expect(s.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    for (const [path, v] of allNumbers(s.results)) expect(Number.isFinite(v), path).toBe(true);
    const g = s.results['smooth-gradcam++']!.all!;
    expect(g.averageDrop).toBeGreaterThanOrEqual(0);
    expect(g.averageDrop).toBeLessThanOrEqual(100);
    expect(g.energy!).toBeGreaterThanOrEqual(0);
    expect(g.energy!).toBeLessThanOrEqual(1);
    expect(g.stability!).toBeLessThanOrEqual(1);
    expect(g.meanDeletion).toHaveLength(5);
    expect(s.win.gradcam!['smooth-gradcam++']!.first + s.win.gradcam!['smooth-gradcam++']!.second + s.win.gradcam!['smooth-gradcam++']!.ties).toBeCloseTo(100, 9);

    const csv = readFileSync(join(dir, 'out-a', 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 4 * 2);
    expect(csv[0]).toContain('deletion_auc');
    const header = csv[0]!.split(',');
    for (const line of csv.slice(1)) {
      const cells = line.split(',');
      expect(cells).toHaveLength(header.length);
      for (const col of ['y', 'o', 'drop', 'deletion_auc', 'insertion_auc', 'energy', 'total_variation', 'stability']) {
        expect(Number.isFinite(Number(cells[header.indexOf(col)])), `${col} in ${line}`).toBe(true);
      }
    }
    expect(readFileSync(join(dir, 'out-a', 'curves.svg'), 'utf8')).toContain('<polyline');
    expect(readFileSync(join(dir, 'out-a', 'index.html'), 'utf8')).toContain('Average Drop %');
    expect(a.logs.join('\n')).toContain('PREDICTED class');
    expect(a.logs.join('\n')).toMatch(/Instance coverage % at t = 0\.5/);
    expect(a.progress.some((p) => /^\r\[[#.]+\] eval shapes: \d\/4 images \((gradcam|smooth-gradcam\+\+)\), \d+%, .* so far, about .* left/.test(p))).toBe(true);

    // Run again into the same directory: byte-identical summary and results.
    const first = ['summary.json', 'results.csv', 'curves.svg', 'bars.svg'].map((f) => readFileSync(join(dir, 'out-a', f), 'utf8'));
    const b = run(join(dir, 'out-a'));
    expect(['summary.json', 'results.csv', 'curves.svg', 'bars.svg'].map((f) => readFileSync(join(dir, 'out-a', f), 'utf8'))).toEqual(first);
    expect(b.summary).toEqual(a.summary);
  });

  it('a different seed changes the noise-dependent numbers only', () => {
    const spec = writeModel('shapes2', shapesCnnSpec(), 5);
    const go = (seed: string): EvalSummary => evalCommand(['--model', spec, '--images', '3', '--method', 'gradcam++', '--steps', '2', '--examples', '0', '--seed', seed, '--out', join(dir, `out-seed-${seed}`)], () => {});
    const a = go('0');
    const b = go('1');
    expect(b.results['gradcam++']!.all!.averageDrop).toBe(a.results['gradcam++']!.all!.averageDrop);
    expect(b.results['gradcam++']!.all!.deletionAuc).toBe(a.results['gradcam++']!.all!.deletionAuc);
    expect(b.results['gradcam++']!.all!.stability).not.toBe(a.results['gradcam++']!.all!.stability);
  });

  it('mnist: held-out digits, no localization metrics', () => {
    const spec = writeModel('mnist', mnistCnnSpec(), 7);
    const s = evalCommand(['--data', 'mnist', '--model', spec, '--images', '3', '--method', 'gradcam', '--steps', '4', '--curve-images', '2', '--stability-images', '1', '--examples', '1', '--out', join(dir, 'out-mnist')], () => {});
    expect(s.groups).toEqual(['all']);
    const r = s.results.gradcam!.all!;
    expect(r.energy).toBeNull();
    expect(r.coverage).toBeNull();
    expect(r.stabilityImages).toBe(1);
    expect(r.curveImages).toBe(2);
    expect(Number.isFinite(r.insertionAuc)).toBe(true);
    // Image 2 has no curves and no stability: empty CSV cells, not NaN.
    const csv = readFileSync(join(dir, 'out-mnist', 'results.csv'), 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    const last = csv[3]!.split(',');
    expect(last[header.indexOf('deletion_auc')]).toBe('');
    expect(last[header.indexOf('stability')]).toBe('');
    expect(last[header.indexOf('energy')]).toBe('');
    expect(Number.isFinite(Number(csv[1]!.split(',')[header.indexOf('deletion_auc')]))).toBe(true);
    expect(existsSync(join(dir, 'out-mnist', 'examples', 'img0-gradcam.png'))).toBe(true);
  });

  it('errors are one-line camlab errors naming the problem', () => {
    const spec = writeModel('shapes3', shapesCnnSpec(), 9);
    const run = (...argv: string[]): void => void evalCommand(['--model', spec, '--images', '1', '--out', join(dir, 'out-err'), ...argv], () => {});
    expect(() => run('--method', 'nope')).toThrow(/eval: unknown method 'nope'; known: cam, gradcam/);
    expect(() => run('--data', 'cifar')).toThrow(/--data must be shapes or mnist, got 'cifar'/);
    expect(() => run('--data', 'mnist')).toThrow(/expects 3x64x64 inputs but mnist images are 1x28x28/);
    expect(() => run('--method', 'cam', '--layer', 'features.10', '--steps', '2')).toThrow(/method 'cam' failed at layer features.10: .*CAM needs global average pooling/);
    expect(() => run('--steps', '5000')).toThrow('eval: --steps must be between 1 and 1024, got 5000');
    const mnist = writeModel('mnist-steps', mnistCnnSpec(), 7);
    expect(() => evalCommand(['--data', 'mnist', '--model', mnist, '--images', '1', '--steps', '1000', '--out', join(dir, 'out-err')], () => {})).toThrow('eval: --steps 1000 is more than the 784 pixels of an image');
    expect(() => run('--class', 'true')).toThrow(CamlabError);
  });
});
