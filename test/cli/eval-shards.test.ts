import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/eval.js';
import { run } from '../../src/cli/run.js';
import { shapesCnnSpec } from '../../src/nn/zoo.js';
import { writeRandomModel } from '../support/model-files.js';

/** Every file a report consists of except timing.json (timings differ between runs). */
const REPORT = ['results.csv', 'summary.json', 'curves.svg', 'bars.svg', 'index.html'];

let dir: string;
let spec: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'camlab-shards-'));
  spec = writeRandomModel(dir, 'model', shapesCnnSpec(), 11);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The bytes of a report folder: its files and its example pictures. */
function bytes(out: string): Map<string, string> {
  const files = [...REPORT, ...readdirSync(join(out, 'examples')).map((f) => join('examples', f))];
  return new Map(files.map((f) => [f, readFileSync(join(out, f)).toString('base64')]));
}

describe('camlab eval --shard / --merge / --workers', () => {
  // 17 images: batches of 8, 8 and 1; curves, stability and example pictures cross the shard edges.
  const base = (): string[] => ['--model', spec, '--images', '17', '--method', 'gradcam', '--method', 'smooth-gradcam++', '--samples', '2', '--steps', '4', '--curve-images', '9', '--stability-images', '9', '--examples', '9'];
  const quiet = (): void => {};

  it('merged shard results are byte for byte the report of a single run, for n = 1, 2, 3', () => {
    const argv = base();
    const single = join(dir, 'single');
    evalCommand([...argv, '--out', single], quiet);
    const expected = bytes(single);
    expect(expected.size).toBe(REPORT.length + 9 * 4); // input, objects and two overlays per example image
    for (const n of [1, 2, 3]) {
      const shards = Array.from({ length: n }, (_, k) => join(dir, `n${n}-shard${k}`));
      shards.forEach((d, k) => evalCommand([...argv, '--shard', `${k}/${n}`, '--out', d], quiet));
      expect(existsSync(join(shards[0]!, 'shard.json'))).toBe(true);
      const merged = join(dir, `n${n}-merged`);
      const summary = evalCommand(['--merge', ...shards.reverse(), '--out', merged], quiet);
      expect(summary.command).toBe(`camlab eval ${argv.join(' ')}`);
      const got = bytes(merged);
      expect([...got.keys()].sort(), `n = ${n}`).toEqual([...expected.keys()].sort());
      for (const [f, b] of expected) expect(got.get(f) === b, `n = ${n}: ${f} differs`).toBe(true);
    }
  });

  it('merge errors name the problem: a missing shard, shards of another command, a folder without a shard result', () => {
    const argv = base();
    const a = join(dir, 'n3-shard0');
    const c = join(dir, 'n3-shard2');
    expect(() => evalCommand(['--merge', a, c, '--out', join(dir, 'bad')], quiet)).toThrow(/eval: --merge: merge: images \[8, 16\) are in no shard result/);
    const other = join(dir, 'other');
    evalCommand([...argv.slice(0, 4), '--method', 'gradcam', '--steps', '4', '--examples', '0', '--shard', '1/3', '--out', other], quiet);
    expect(() => evalCommand(['--merge', a, other, c], quiet)).toThrow(/eval: --merge: .*other holds a shard of 'camlab eval .*', not of 'camlab eval /);
    expect(() => evalCommand(['--merge', dir], quiet)).toThrow(/eval: --merge: no shard result in/);
    expect(() => evalCommand(['--merge', a, '--steps', '3'], quiet)).toThrow(/--merge takes only shard folders and --out/);
    expect(() => evalCommand([...argv, '--shard', '3/3'], quiet)).toThrow(/--shard must be k\/n with 0 <= k < n/);
  });

  it('--workers 2 runs two processes and writes the report of a single run', async () => {
    const small = ['--model', spec, '--images', '9', '--method', 'gradcam', '--steps', '2', '--curve-images', '9', '--stability-images', '0', '--examples', '9'];
    const single = join(dir, 'w-single');
    evalCommand([...small, '--out', single], quiet);
    const out = join(dir, 'w-merged');
    let err = '';
    const code = await run(['eval', ...small, '--workers', '2', '--out', out], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } });
    expect(err).not.toMatch(/camlab: /);
    expect(code).toBe(0);
    expect(bytes(out)).toEqual(bytes(single));
    expect(existsSync(join(out, '.shards'))).toBe(false);
  }, 120_000);
});
