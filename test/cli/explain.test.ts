import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli, tmpDir } from '../support/cli.js';

const root = new URL('../../', import.meta.url).pathname;
const image = join(root, 'examples/images/shapes-cross-x2.png');


const tmp = (): string => tmpDir();

describe('camlab explain', () => {
  it('explains a bundled image with several methods, writes PNGs and a grid, prints classes and the trace', () => {
    const out = tmp();
    const r = cli(['explain', image, '--method', 'gradcam', '--method', 'gradcam++', '--method', 'smooth-gradcam++', '--samples', '3', '--trace', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/top classes: cross \d+\.\d%/);
    expect(r.out).toMatch(/gradcam\+\+: explains cross \(class 3\) at layer features\.14/);
    expect(r.out).toMatch(/channel\s+sum A\s+mean g\s+alpha range\s+weight/);
    for (const m of ['gradcam', 'gradcam++', 'smooth-gradcam++-n3-noise0.15-seed0']) {
      for (const kind of ['heatmap', 'overlay']) {
        const f = join(out, `shapes-cross-x2_${m}_cross_features.14_${kind}.png`);
        expect(existsSync(f)).toBe(true);
        const png = PNG.sync.read(readFileSync(f));
        expect([png.width, png.height]).toEqual([256, 256]);
      }
    }
    expect(existsSync(join(out, 'shapes-cross-x2_grid_gradcam+gradcam+++smooth-gradcam++-n3-noise0.15-seed0_cross_features.14.png'))).toBe(true);
  });

  it('--methods a,b takes the same methods as --method a --method b (explain and demo)', () => {
    const r = cli(['explain', image, '--methods', 'gradcam, layercam', '--method', 'gradcam', '--json', '--no-images']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { methods: Array<{ method: string }> };
    expect(j.methods.map((m) => m.method).sort()).toEqual(['gradcam', 'layercam']);
    const out = tmp();
    const d = cli(['demo', '--methods', 'gradcam,xgradcam', '--images', join(root, 'examples/images'), '--model', 'shapes-cnn', '--out', out]);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/gradcam ms\s+xgradcam ms/);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
  });

  it('--json prints only JSON: maps, weights and every term', () => {
    const r = cli(['explain', image, '--method', 'gradcam++', '--exact', '--output', 'softmax', '--class', 'circle', '--json', '--out', tmp()]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { top: Array<{ name: string }>; methods: Array<Record<string, unknown> & { terms: Record<string, unknown> }> };
    expect(j.top[0]!.name).toBe('cross');
    const m = j.methods[0]!;
    expect(m.class).toBe(0);
    expect(m.className).toBe('circle');
    expect((m.upsampled as number[][]).length).toBe(64);
    expect((m.map as number[][]).length).toBe(8);
    expect((m.weights as number[]).length).toBe(32);
    expect(m.terms.derivatives).toBe('exact diagonals of Y = softmax probability (head linear around A: chain rule)');
    for (const k of ['A', 'd1', 'd2', 'd3', 'sumA', 'alpha', 'rawMap']) expect(m.terms[k]).toBeDefined();
    for (const row of m.upsampled as number[][]) for (const v of row) expect(v >= 0 && v <= 1).toBe(true);
    // --diagonals passes extracts the same diagonals by batched higher-order passes.
    const p = cli(['explain', image, '--method', 'gradcam++', '--diagonals', 'passes', '--output', 'softmax', '--class', 'circle', '--json', '--out', tmp()]);
    expect(p.code).toBe(0);
    const mp = (JSON.parse(p.out) as typeof j).methods[0]!;
    expect(mp.terms.derivatives).toBe('exact diagonals of Y = softmax probability');
    const flat = (x: unknown): number[] => (x as unknown[]).flat(3) as number[];
    const [d2Auto, d2Passes] = [flat(m.terms.d2), flat(mp.terms.d2)];
    expect(d2Passes).toHaveLength(32 * 8 * 8);
    const scale = Math.max(...d2Auto.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    d2Passes.forEach((v, i) => expect(Math.abs(v - d2Auto[i]!)).toBeLessThan(1e-12 * scale));
    flat(mp.upsampled).forEach((v, i) => expect(Math.abs(v - flat(m.upsampled)[i]!)).toBeLessThan(1e-9));
  });

  it('accepts any PNG: grey 8-bit, grey 16-bit, RGBA with transparency, any size', () => {
    const dir = tmp();
    const src = PNG.sync.read(readFileSync(image));
    const variants: Array<[string, { colorType: 0 | 2 | 4 | 6; bitDepth: 8 | 16; inputHasAlpha?: boolean }, number]> = [
      ['grey8', { colorType: 0, bitDepth: 8 }, 64],
      ['grey16', { colorType: 0, bitDepth: 16 }, 50],
      ['rgba', { colorType: 6, bitDepth: 8 }, 97],
    ];
    for (const [name, opts, size] of variants) {
      const png = new PNG({ width: size, height: size });
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const s = 4 * (Math.floor((y * 64) / size) * 64 + Math.floor((x * 64) / size));
          const d = 4 * (y * size + x);
          png.data[d] = src.data[s]!;
          png.data[d + 1] = src.data[s + 1]!;
          png.data[d + 2] = src.data[s + 2]!;
          png.data[d + 3] = name === 'rgba' && x < 10 ? 0 : 255;
        }
      }
      const file = join(dir, `${name}.png`);
      writeFileSync(file, PNG.sync.write(png, opts));
      const r = cli(['explain', file, '--method', 'gradcam', '--out', dir]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/gradcam: explains/);
    }
  });

  it.each([
    [['explain', '/nonexistent/x.png'], /^camlab: explain: image file not found: \/nonexistent\/x\.png\n$/],
    [['explain', join(root, 'package.json')], /^camlab: explain: .*package\.json is not a PNG or JPEG image \(this is a JSON text file\)\n$/],
    [['explain', image, '--layer', 'features.99'], /^camlab: explain: no layer named 'features\.99'; layers are: features, features\.0, /],
    [['explain', image, '--method', 'gradcam+++'], /^camlab: explain: unknown method 'gradcam\+\+\+'; known: cam, gradcam/],
    [['explain', image, '--class', '7'], /^camlab: explain: --class 7 is out of range: the model has 4 classes \(0-3\)\n$/],
    [['explain', image, '--class', 'hexagon'], /^camlab: explain: --class 'hexagon' is neither a class index nor one of: circle, square, triangle, cross\n$/],
    [['explain', image, '--model', 'resnet'], /^camlab: explain: unknown model 'resnet'/],
    [['explain', image, '--frobnicate'], /^camlab: explain: unknown option --frobnicate/],
    [['explain'], /^camlab: explain: expects at least 1 argument, got 0\n$/],
    [['explain', image, '--method', 'smoothgrad', '--samples', 'x'], /^camlab: explain: --samples must be an integer, got 'x'\n$/],
    [['explain', image, '--diagonals', 'fast'], /^camlab: explain: --diagonals must be auto or passes, got 'fast'\n$/],
    [['nope'], /^camlab: unknown command 'nope'/],
    [['help', 'nope'], /^camlab: unknown command 'nope'/],
    [['explain', image, '--model', join(root, 'README.md')], /^camlab: explain: .*README\.md is not valid JSON \(/],
    [['demo', '--images', '/nonexistent/images'], /^camlab: demo: folder not found: \/nonexistent\/images\n$/],
    [['train', '--data', 'shapes', '--arch', 'nope'], /^camlab: train: unknown architecture 'nope': use shapes-cnn, /],
  ])('bad input %j: one line on stderr and exit code 2', (argv, message) => {
    const r = cli(argv[0] === 'explain' ? [...argv, '--out', tmp()] : argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('`camlab CMD --help` and `camlab help CMD` print the command\'s help', () => {
    for (const argv of [['explain', '--help'], ['explain', image, '-h'], ['help', 'explain']]) {
      const r = cli(argv);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(/^camlab explain PICTURE\|FOLDER\.\.\. \[options\]/);
      expect(r.out).toContain('--batch-size N');
    }
  });

  it('the camlab bin runs as a command: exit code 2 and one line for a missing file', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/camlab.js'), 'explain', 'missing.png'], { encoding: 'utf8', cwd: tmp() });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('camlab: explain: image file not found: missing.png\n');
    const ok = execFileSync(process.execPath, [join(root, 'bin/camlab.js'), 'help'], { encoding: 'utf8' });
    expect(ok).toMatch(/usage: camlab <command>/);
  });
});

describe('camlab demo', () => {
  it('explains every image in a folder and writes per-method PNGs, grids and index.html', () => {
    const images = tmp();
    mkdirSync(images, { recursive: true });
    copyFileSync(image, join(images, 'shapes-a.png'));
    const out = tmp();
    const r = cli(['demo', '--images', images, '--out', out, '--method', 'gradcam', '--method', 'gradcam++']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/shapes-a\.png\s+shapes-cnn\s+cross\s+\d+\.\d%/);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'shapes-a_grid_gradcam+gradcam++_cross_features.14.png'))).toBe(true);
    expect(existsSync(join(out, 'shapes-a', 'shapes-a_gradcam++_cross_features.14_overlay.png'))).toBe(true);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="shapes-a/shapes-a_gradcam_cross_features.14_overlay.png"');
  });
});
