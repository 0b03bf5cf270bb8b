/**
 * The built package computes bit-identical maps in Node, Deno and Bun: tsc builds dist/ (into a
 * temporary folder, so the checkout's dist/ is not touched), then scripts/smoke.mjs runs under
 * each runtime (Deno and Bun from their npm packages, see scripts/runtimes.mjs) and prints
 * SHA-256 checksums of the Grad-CAM, Grad-CAM++, Smooth Grad-CAM++ (5 samples, seed 0; at the
 * default layer and at features.10) and exact Grad-CAM++ maps of a bundled sample image with the
 * bundled shapes-cnn, plus exact Grad-CAM++ with Y = softmax and Grad-CAM++ of the softmax
 * probability (which run exp on non-zero values). All must be bit-identical: camlab's kernels use
 * their own fdlibm exp/log/tanh (src/tensor/detmath.ts), since Math.exp's last bit differs between
 * engines. A runtime is skipped (with the reason printed) only when no binary of it exists for
 * this platform.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRuntimes, runSmoke, type SmokeReport } from '../../scripts/runtimes.mjs';
import { imageToInput } from '../../src/io/image.js';
import { loadModel } from '../../src/io/model.js';
import { decodePng } from '../../src/io/png.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const IMAGE = join(ROOT, 'examples', 'images', 'shapes-triangle-x3.png');

/** SHA-256 of raw bytes, or of numbers as little-endian float64 (as scripts/smoke.mjs hashes). */
function sha256Hex(values: Uint8Array | Uint8ClampedArray | Float64Array | Float32Array): string {
  let bytes: Uint8Array;
  if (values instanceof Uint8Array || values instanceof Uint8ClampedArray) bytes = new Uint8Array(values);
  else {
    bytes = new Uint8Array(values.length * 8);
    const dv = new DataView(bytes.buffer);
    values.forEach((v, i) => dv.setFloat64(8 * i, v, true));
  }
  return createHash('sha256').update(bytes).digest('hex');
}

let tmp = '';
const reports = new Map<string, SmokeReport>();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'camlab-runtimes-'));
  execFileSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(tmp, 'dist')], { cwd: ROOT, stdio: 'pipe' });
}, 90_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('the built package in Node, Deno and Bun', () => {
  const runtimes = findRuntimes();
  for (const rt of runtimes) {
    if ('missing' in rt) {
      it.skip(`${rt.name}: ${rt.missing}`, () => {});
      console.warn(`runtimes: skipping ${rt.name}: ${rt.missing}`);
      continue;
    }
    it(`${rt.name} runs scripts/smoke.mjs against dist/`, () => {
      const rep = runSmoke(rt, ['--dist', join(tmp, 'dist')]);
      reports.set(rt.name, rep);
      expect(rep.runtime.startsWith(rt.name)).toBe(true);
      expect(rep.maps.map((m) => m.method)).toEqual([
        'gradcam', 'gradcam++', 'smooth-gradcam++', 'gradcam++@features.10', 'smooth-gradcam++@features.10', 'gradcam++-exact', 'gradcam++-exact-softmax', 'gradcam++-probability',
      ]);
      // The wasm backend is the default in every runtime, and the JS reference kernels give the same bits.
      expect(rep.backend.backend).toBe('wasm');
      for (const m of rep.maps) {
        expect(m.jsSha256, `${m.method}: js backend vs wasm under ${rep.runtime}`).toBe(m.sha256);
        expect(m.shape, m.method).toEqual([1, 64, 64]);
        expect(m.finite, m.method).toBe(true);
        expect(m.min, m.method).toBeGreaterThanOrEqual(0);
        expect(m.max, m.method).toBeLessThanOrEqual(1);
      }
    }, 120_000);
  }

  it('the smoke script decodes the PNG and loads the model exactly as the Node library (pngjs) does', () => {
    const node = reports.get('node');
    expect(node, 'the node run must have succeeded').toBeDefined();
    const picture = decodePng(new Uint8Array(readFileSync(IMAGE)));
    expect(node!.rgbaSha256).toBe(sha256Hex(picture.data));
    const dir = join(ROOT, 'models', 'shapes-cnn');
    const { spec } = loadModel(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as unknown, new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(node!.inputSha256).toBe(sha256Hex(imageToInput(picture, spec.input).data));
  });

  it('every runtime computes bit-identical maps (and inputs, logits, weights)', () => {
    const present = runtimes.filter((r) => !('missing' in r)).map((r) => r.name);
    expect([...reports.keys()].sort(), 'every present runtime must have produced a report').toEqual([...present].sort());
    const ref = reports.get('node')!;
    const summary = [...reports.values()].map((r) => `${r.runtime}: ${r.maps.map((m) => `${m.method} ${m.sha256.slice(0, 16)}`).join(', ')}`).join('\n');
    for (const rep of reports.values()) {
      expect(rep.inputSha256, `${rep.runtime} input`).toBe(ref.inputSha256);
      expect(rep.logitsSha256, `${rep.runtime} logits`).toBe(ref.logitsSha256);
      for (const [i, m] of rep.maps.entries()) {
        const r = ref.maps[i]!;
        const what = `${m.method} under ${rep.runtime} vs ${ref.runtime}`;
        expect(m.weightsSha256, `${what} weights\n${summary}`).toBe(r.weightsSha256);
        expect(m.rawMapSha256, `${what} raw map\n${summary}`).toBe(r.rawMapSha256);
        expect(m.sha256, `${what}\n${summary}`).toBe(r.sha256);
      }
    }
  });
});
