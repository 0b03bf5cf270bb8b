/**
 * End-to-end test of the web page in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): build the page into a temporary folder, serve it on a free localhost port,
 * pick a sample image, run Grad-CAM, Grad-CAM++ and Smooth Grad-CAM++ in the page's worker, and
 * check that every map equals, element by element, the one Node computes from the same PNG
 * (decoded by pngjs here, by the browser's canvas there). Saves a screenshot to out/web-e2e.png.
 *
 * No browser is a failure, not a skip: set CAMLAB_SKIP_BROWSER=1 to skip on purpose
 * (CAMLAB_CHROMIUM overrides the browser path).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, type WebManifest } from '../../scripts/build-web.mjs';
import { serve } from '../../scripts/serve-web.mjs';
import {
  DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES, explain, imageToInput, inputToImage, loadModel, METHOD_NAMES, overlay, Tensor,
  type CamResult, type ExplainOptions, type LoadedModel,
} from '../../src/index.js';
import { decodePng, encodePng } from '../../src/io/png.js';
import { fitAspect } from '../../web/fit.js';
import { loadClassifier } from '../../src/node/files.js';
import { LAYER_TYPES } from '../../src/nn/layer-kinds.js';
import type { PageState } from '../../web/protocol.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIP = process.env.CAMLAB_SKIP_BROWSER === '1';
const CHROMIUM = process.env.CAMLAB_CHROMIUM ?? '/usr/bin/chromium';
const IMAGE = 'shapes-triangle-x3.png';
const SAMPLES = 5;

if (SKIP) console.warn('web-e2e: skipped because CAMLAB_SKIP_BROWSER=1 is set (the page is not tested in a browser)');

/** The page's globals as the evaluated callbacks see them (this file is type-checked without the DOM library). */
type PageWindow = { camlab: PageState; document: { body: { dataset: Record<string, string | undefined> } } };

let tmp = '';
let server: { url: string; close(): Promise<void> } | null = null;
let context: BrowserContext | null = null;
let page: Page | null = null;
let manifest: WebManifest | null = null;
const pageErrors: string[] = [];

function nodeModel(name: string): LoadedModel {
  const dir = join(ROOT, 'models', name);
  return loadModel(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as unknown, new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
}

/** Index and size of the first difference, for a readable failure. */
function firstDifference(a: readonly number[], b: ArrayLike<number>): string {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  let maxAbs = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      if (first < 0) first = i;
      maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    }
  }
  return first < 0 ? 'identical' : `first difference at ${first}: browser ${a[first]} vs node ${b[first]}; max |diff| ${maxAbs}`;
}

describe.skipIf(SKIP)('web page in headless Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`web-e2e: no browser at ${CHROMIUM}. Install Debian's chromium (apt-get install -y chromium; .ci/run does this), ` +
        'set CAMLAB_CHROMIUM to another Chromium, or set CAMLAB_SKIP_BROWSER=1 to skip this test on purpose.');
    }
    tmp = mkdtempSync(join(tmpdir(), 'camlab-web-'));
    manifest = (await buildWeb({ out: join(tmp, 'site'), quiet: true })).manifest;
    server = await serve({ root: join(tmp, 'site'), port: 0 });
    try {
      context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30_000,
        viewport: { width: 1280, height: 1000 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
      });
    } catch (e) {
      throw new Error(`web-e2e: Chromium at ${CHROMIUM} did not start (${(e as Error).message}). Set CAMLAB_SKIP_BROWSER=1 to skip on purpose.`);
    }
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the bundled models and sample images; a missing model is shown as missing', async () => {
    const p = page!;
    const shown = await p.$$eval('#samples button', (bs) => bs.map((b) => b.getAttribute('data-file')));
    expect(shown).toContain(IMAGE);
    const options = await p.$$eval('#model option', (os) => os.map((o) => [o.getAttribute('value'), o.textContent]));
    for (const m of manifest!.models) {
      expect(options).toContainEqual([m.name, m.available ? m.name : `${m.name} (missing)`]);
    }
    expect(manifest!.models.find((m) => m.name === 'shapes-cnn')?.available).toBe(true);
    expect(await p.isVisible('#progress'), 'no progress bar before a run').toBe(false);
  });

  it('offers every registered method, in the registry\'s order, with the library\'s noise defaults', async () => {
    const p = page!;
    expect(await p.$$eval('#methods input', (is) => is.map((i) => i.getAttribute('value')))).toEqual(METHOD_NAMES);
    expect(await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.methods)).toEqual(METHOD_NAMES);
    expect(await p.inputValue('#samples-n')).toBe(String(DEFAULT_NOISE_SAMPLES));
    expect(await p.inputValue('#noise')).toBe(String(DEFAULT_NOISE_LEVEL));
  });

  it('Grad-CAM, Grad-CAM++ (closed form and exact) and Smooth Grad-CAM++ maps in the browser equal the ones Node computes', async () => {
    const p = page!;
    await p.click(`#samples button[data-file="${IMAGE}"]`);
    await p.waitForFunction((name) => (globalThis as unknown as PageWindow).camlab.picture?.caption === name, IMAGE);
    await p.selectOption('#model', 'shapes-cnn');
    for (const box of await p.$$('#methods input')) await box.uncheck();
    for (const m of ['gradcam', 'gradcam++', 'gradcam++-exact', 'smooth-gradcam++']) await p.check(`#methods input[value="${m}"]`);
    await p.fill('#samples-n', String(SAMPLES));
    await p.fill('#noise', '0.15');
    await p.fill('#seed', '0');
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    const state = await p.evaluate(() => {
      const s = (globalThis as unknown as PageWindow).camlab;
      return { error: s.error, run: s.run, rgba: s.picture?.rgba() ?? [], state: (globalThis as unknown as PageWindow).document.body.dataset.state };
    });
    expect(state.error).toBeNull();
    expect(state.state).toBe('done');
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    await p.screenshot({ path: join(ROOT, 'out', 'web-e2e.png'), fullPage: true });

    // The browser's PNG decode (canvas) equals pngjs's.
    const picture = decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE);
    expect(firstDifference(state.rgba, picture.data), 'browser RGBA vs pngjs').toBe('identical');

    const { spec, module } = nodeModel('shapes-cnn');
    const x = imageToInput(picture, spec.input);
    const run = state.run!;
    expect(run.outputs.map((o) => o.method)).toEqual(['gradcam', 'gradcam++', 'gradcam++-exact', 'smooth-gradcam++']);
    for (const out of run.outputs) {
      const opts: ExplainOptions = { target: 'predicted', samples: SAMPLES, noise: 0.15, seed: 0, trace: true };
      const r = explain(out.method, module, x, opts) as CamResult;
      expect([out.height, out.width]).toEqual([spec.input.height, spec.input.width]);
      expect(out.classIndex).toBe(r.classes[0]);
      expect(firstDifference(out.map, r.upsampled.data), `${out.method} map`).toBe('identical');
      expect(out.map.every((v) => v >= 0 && v <= 1)).toBe(true);
      if (out.channels !== undefined) {
        expect(out.channels.map((c) => c.weight), `${out.method} channel weights`).toEqual(Array.from(r.weights!.data));
      }
    }
    // The page shows an overlay per method, the top classes and the Grad-CAM++ channel table.
    expect(await p.$$eval('#results .result[data-method] canvas', (cs) => cs.length)).toBe(8);
    expect(await p.textContent('#top-classes')).toContain(spec.classes[run.outputs[0]!.classIndex]!);
    // The server sends COOP/COEP headers, so the worker shares wasm memory with its own workers.
    expect(await p.textContent('#top-classes .engine')).toMatch(/^WebAssembly SIMD kernels · \d+ threads?$/);
    expect(await p.$$eval('#trace-table tbody tr', (rs) => rs.length)).toBe(run.outputs[1]!.channels!.length);
    // On this GAP-linear head three of the methods agree, and the page says why in one line.
    expect(run.notes).toHaveLength(1);
    expect(run.notes[0]).toMatch(/^gradcam\+\+, gradcam\+\+-exact and smooth-gradcam\+\+ give the same map: after features\.14 comes GlobalAvgPool → Linear\(32, 4\); .*closed form is exact; S is affine in A/);
    expect(await p.textContent('#notes')).toBe(`Same map: ${run.notes[0]}.`);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('colour map and opacity redraw the overlays from the kept maps, without a new run', async () => {
    const p = page!;
    const before = await p.evaluate(() => {
      const s = (globalThis as unknown as PageWindow).camlab;
      return { totalMs: s.run!.totalMs, map: s.run!.outputs[1]!.map, redraws: s.drawn.redraws, jet: s.overlayPixels('gradcam++') };
    });
    await p.selectOption('#colormap', 'viridis');
    await p.$eval('#alpha', (el) => {
      const input = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      input.value = '0.8';
      input.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('input'));
    });
    const after = await p.evaluate(() => {
      const s = (globalThis as unknown as PageWindow).camlab;
      return { totalMs: s.run!.totalMs, drawn: s.drawn, pixels: s.overlayPixels('gradcam++'), state: (globalThis as unknown as PageWindow).document.body.dataset.state };
    });
    expect(after.totalMs, 'the same run').toBe(before.totalMs);
    expect(after.state).toBe('done');
    expect(after.drawn).toEqual({ colormap: 'viridis', alpha: 0.8, redraws: before.redraws + 2 });
    expect(after.pixels).not.toEqual(before.jet);
    const { spec } = nodeModel('shapes-cnn');
    const shown = inputToImage(imageToInput(decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE), spec.input), spec.input);
    const expected = overlay(shown, new Tensor(Float64Array.from(before.map), [64, 64]), { colormap: 'viridis', alpha: 0.8 });
    expect(firstDifference(after.pixels!, expected.data), 'the redrawn overlay is Node\'s overlay of the same map').toBe('identical');
    await p.selectOption('#colormap', 'jet');
    await p.$eval('#alpha', (el) => {
      const input = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      input.value = '0.5';
      input.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('input'));
    });
    expect(await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.overlayPixels('gradcam++'))).toEqual(before.jet);
  });

  it('the term explorer: a channel\'s A_k, g, g², g³, α and ReLU(g)·α equal Node\'s trace, and ReLU(g)·α sums to w_k', async () => {
    const p = page!;
    const channel = Number(await p.getAttribute('#trace-table tbody tr:nth-child(2)', 'data-channel'));
    await p.click('#trace-table tbody tr:nth-child(2)');
    await p.waitForFunction((k) => (globalThis as unknown as PageWindow).camlab.terms?.channel === k, channel);
    const terms = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.terms!);
    expect(terms.method).toBe('gradcam++');
    expect(terms.labels).toEqual([`A_${channel}`, 'g = ∂S/∂A', 'g²', 'g³', 'α', 'ReLU(g)·α']);
    expect(await p.$$eval('#terms canvas', (cs) => cs.length)).toBe(6);
    const { spec, module } = nodeModel('shapes-cnn');
    const x = imageToInput(decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE), spec.input);
    const t = (explain('gradcam++', module, x, { trace: true }) as CamResult).trace!;
    const n = 8 * 8;
    const part = (a: Tensor): number[] => Array.from(a.data.subarray(channel * n, (channel + 1) * n));
    for (const [i, term] of [t.A, t.d1, t.d2!, t.d3!, t.alpha!].entries()) expect(firstDifference(terms.maps[i]!, part(term)), terms.labels[i]).toBe('identical');
    const w = terms.maps[5]!.reduce((a, b) => a + b, 0);
    expect(w).toBeCloseTo(t.weights!.data[channel]!, 12);
    expect(await p.textContent('#terms h3')).toContain(`w_${channel} = `);
  });

  it('save writes one overlay as a PNG named for what it shows; "download all" one labelled grid', async () => {
    const p = page!;
    const [one] = await Promise.all([p.waitForEvent('download'), p.click('#results .result[data-method="gradcam++"] button.save')]);
    expect(one.suggestedFilename()).toBe('shapes-triangle-x3_gradcam++_triangle_features.14_overlay.png');
    const png = decodePng(new Uint8Array(readFileSync((await one.path())!)));
    expect([png.width, png.height]).toEqual([256, 256]);
    const [all] = await Promise.all([p.waitForEvent('download'), p.click('#download-all')]);
    expect(all.suggestedFilename()).toBe('shapes-triangle-x3_grid_gradcam+gradcam+++gradcam++-exact+smooth-gradcam++-n5-noise0.15-seed0_triangle_features.14.png');
    const grid = decodePng(new Uint8Array(readFileSync((await all.path())!)));
    expect(grid.width).toBeGreaterThan(5 * 256);
  });

  it('at layer features.10 (where the noise matters) Grad-CAM++ and Smooth Grad-CAM++ still equal Node\'s maps', async () => {
    const p = page!;
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.layers?.names.includes('features.10') === true);
    // The minified bundle lists each layer's kind ('Conv2d'), not a renamed class ('qe').
    const labels = await p.$$eval('#layer option', (os) => os.map((o) => o.textContent ?? ''));
    expect(labels).toContain('features.0 · Conv2d · 8×64×64');
    expect(labels).toContain('features.10 · ReLU · 32×16×16');
    for (const l of labels.slice(1)) expect(LAYER_TYPES, l).toContain(l.split(' · ')[1]);
    await p.selectOption('#layer', 'features.10');
    for (const box of await p.$$('#methods input')) await box.uncheck();
    for (const m of ['gradcam++', 'smooth-gradcam++']) await p.check(`#methods input[value="${m}"]`);
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    const run = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.run!);
    const { spec, module } = nodeModel('shapes-cnn');
    const x = imageToInput(decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE), spec.input);
    expect(run.outputs.map((o) => o.method)).toEqual(['gradcam++', 'smooth-gradcam++']);
    const maps = run.outputs.map((o) => o.map);
    expect(maps[0], 'at features.10 the noise changes the map').not.toEqual(maps[1]);
    for (const out of run.outputs) {
      const r = explain(out.method, module, x, { layer: 'features.10', samples: SAMPLES, noise: 0.15, seed: 0 }) as CamResult;
      expect(r.layer).toBe('features.10');
      expect(firstDifference(out.map, r.upsampled.data), `${out.method} map at features.10`).toBe('identical');
    }
  }, 60_000);

  it('a long computation runs in the worker: the page answers while it runs, shows progress and can cancel it', async () => {
    const p = page!;
    for (const box of await p.$$('#methods input')) await box.uncheck();
    // 500 noisy samples (the page's maximum) at features.10, each with its exact diagonals: ~4 s in Node. (Exact
    // Grad-CAM++ alone no longer serves: shapes-cnn's head is piecewise linear, so it takes ~20 ms.)
    await p.check('#methods input[value="smooth-gradcam++"]');
    await p.check('#exact');
    const samples = await p.inputValue('#samples-n');
    await p.fill('#samples-n', '500');
    await p.click('#run');
    await p.waitForSelector('body[data-state="running"]');
    await p.waitForSelector('#progress-label:has-text("computing smooth-gradcam++ (500 noisy samples)")', { timeout: 10_000 });
    const t0 = Date.now();
    const answer = await p.evaluate(() => 6 * 7);
    expect(answer).toBe(42);
    expect(Date.now() - t0, 'the main thread answers while the worker computes').toBeLessThan(5000);
    expect(await p.getAttribute('body', 'data-state')).toBe('running');
    await p.click('#cancel');
    await p.waitForSelector('body[data-state="ready"]');
    expect(await p.textContent('#progress-label')).toBe('cancelled');
    expect(await p.$$eval('#methods input', (is) => is.length), 'a new worker\'s hello adds no methods').toBe(METHOD_NAMES.length);
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.layers !== null);
    expect(await p.inputValue('#layer'), 'Cancel keeps the chosen layer').toBe('features.10');
    await p.selectOption('#layer', '');
    await p.uncheck('#exact');
    await p.fill('#samples-n', samples);
  }, 60_000);

  it('exact mode with Grad-CAM++ and Grad-CAM++ (exact) computes the tile once', async () => {
    const p = page!;
    for (const box of await p.$$('#methods input')) await box.uncheck();
    for (const m of ['gradcam++', 'gradcam++-exact']) await p.check(`#methods input[value="${m}"]`);
    await p.check('#exact');
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    const run = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.run!);
    expect(run.outputs.map((o) => [o.method, o.sameAs ?? null])).toEqual([['gradcam++', null], ['gradcam++-exact', 'gradcam++']]);
    expect(run.outputs[1]!.map).toEqual(run.outputs[0]!.map);
    expect(await p.textContent('#results .result[data-method="gradcam++-exact"] .meta')).toContain('the same computation as Grad-CAM++ (computed once)');
    expect(run.notes, 'one computation, not two methods that agree').toEqual([]);
    await p.uncheck('#exact');
  }, 60_000);

  it('an uploaded picture is decoded by the browser exactly as pngjs decodes it', async () => {
    const p = page!;
    await p.click('.tabs button[data-tab="upload"]');
    const file = join(ROOT, 'examples', 'images', 'shapes-circle-x1.png');
    await p.setInputFiles('#upload', file);
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.picture?.caption === 'shapes-circle-x1.png');
    const rgba = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.picture!.rgba());
    expect(firstDifference(rgba, decodePng(new Uint8Array(readFileSync(file))).data)).toBe('identical');
  });

  it('a non-square upload is centre-cropped (default) or letterboxed before the model sees it', async () => {
    const p = page!;
    const src = decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE);
    // 64×40: rows 12..51 of the sample, so the crop is not the whole picture.
    const wide = { width: 64, height: 40, data: src.data.slice(4 * 64 * 12, 4 * 64 * 52) };
    const file = join(tmp, 'wide.png');
    writeFileSync(file, encodePng(wide));
    await p.click('.tabs button[data-tab="upload"]');
    await p.setInputFiles('#upload', file);
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.picture?.caption === 'wide.png');
    for (const box of await p.$$('#methods input')) await box.uncheck();
    await p.check('#methods input[value="gradcam"]');
    const { spec, module } = nodeModel('shapes-cnn');
    for (const fit of ['crop', 'letterbox'] as const) {
      await p.selectOption('#fit', fit);
      await p.click('#run');
      await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
      const run = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.run!);
      const fitted = fitAspect({ ...wide, data: new Uint8ClampedArray(wide.data) }, 1, fit);
      expect([fitted.width, fitted.height]).toEqual(fit === 'crop' ? [40, 40] : [64, 64]);
      const r = explain('gradcam', module, imageToInput(fitted, spec.input));
      expect(firstDifference(run.outputs[0]!.map, r.upsampled.data), `${fit}: the page's map is Node's map of the fitted picture`).toBe('identical');
    }
    await p.selectOption('#fit', 'crop');
  }, 60_000);

  it('the digit tab: a drawn stroke becomes a centred 28×28 picture that mnist-cnn explains', async () => {
    const p = page!;
    expect(await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.picture?.caption)).toBe('wide.png');
    await p.click('.tabs button[data-tab="draw"]');
    expect(await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.picture), 'the draw tab does not keep the uploaded picture').toBeNull();
    expect(await p.isDisabled('#run')).toBe(true);
    const box = (await p.locator('#draw').boundingBox())!;
    await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await p.mouse.down();
    await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 12 });
    await p.mouse.up();
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.picture?.caption === 'your drawing');
    const pic = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab.picture!);
    expect([pic.width, pic.height]).toEqual([28, 28]);
    expect(await p.inputValue('#model')).toBe('mnist-cnn');
    expect(manifest!.models.find((m) => m.name === 'mnist-cnn')!.available).toBe(true); // bundled in models/
    for (const b of await p.$$('#methods input')) await b.uncheck();
    await p.check('#methods input[value="gradcam++"]');
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    const s = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab);
    expect(s.error).toBeNull();
    expect(s.run!.outputs[0]!.map).toHaveLength(28 * 28);
  }, 60_000);

  it('an ONNX model opened from disk with its sidecar: the graph\'s layers are listed, and its maps equal Node\'s', async () => {
    const p = page!;
    const onnx = join(ROOT, 'test', 'fixtures', 'onnx', 'shapes-cnn.onnx');
    await p.setInputFiles('#onnx-file', [onnx, `${onnx}.json`]);
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.layers?.model === 'shapes-cnn.onnx', undefined, { timeout: 20_000 });
    expect(await p.inputValue('#model')).toBe('shapes-cnn.onnx');
    const labels = await p.$$eval('#layer option', (os) => os.map((o) => o.textContent ?? ''));
    expect(labels[0]).toBe('default (features.14)');
    expect(labels).toContain('features.10 · Relu · 32×16×16');
    expect(labels).not.toContain('pool · ReduceMean · 32'); // after global pooling: not a candidate
    expect(await p.textContent('#model-status')).toContain('resize to 64x64, RGB, mean 0.5,0.5,0.5, std 0.25,0.25,0.25 (sidecar shapes-cnn.onnx.json)');
    expect(await p.$$eval('#target option', (os) => os.map((o) => o.textContent))).toEqual(['predicted', '0: circle', '1: square', '2: triangle', '3: cross']);
    // A sample picture keeps the user's model.
    await p.click('.tabs button[data-tab="sample"]');
    await p.click(`#samples button[data-file="${IMAGE}"]`);
    await p.waitForFunction((name) => (globalThis as unknown as PageWindow).camlab.picture?.caption === name, IMAGE);
    expect(await p.inputValue('#model')).toBe('shapes-cnn.onnx');
    const layer = '/features/features.10/Relu_output_0';
    await p.selectOption('#layer', layer);
    for (const box of await p.$$('#methods input')) await box.uncheck();
    for (const m of ['gradcam', 'gradcam++', 'cam']) await p.check(`#methods input[value="${m}"]`);
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    const s = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab);
    expect(s.error).toBeNull();
    expect(s.run!.model).toBe('shapes-cnn.onnx');
    expect(s.run!.outputs.map((o) => o.method)).toEqual(['gradcam', 'gradcam++']);
    // CAM needs pooling right after the layer: at features.10 it fails in one line, the run goes on.
    expect(s.run!.failures.map((f) => f.method)).toEqual(['cam']);
    expect(s.run!.failures[0]!.message).toMatch(/^cam: CAM needs global average pooling then one linear layer after '\/features\/features\.10\/Relu_output_0'; the graph has MaxPool → Conv → Relu → ReduceMean → Gemm\. Use gradcam/);
    // Node: the same file, its sidecar's preprocessing, float32 as in the page.
    const model = loadClassifier(onnx);
    const x = model.toInput(decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE));
    for (const out of s.run!.outputs) {
      const r = explain(out.method, model.module, x, { layer, target: 'predicted', trace: true }) as CamResult;
      expect(out.classIndex).toBe(r.classes[0]);
      expect(firstDifference(out.map, r.upsampled.data), `${out.method} map`).toBe('identical');
    }
    expect(await p.textContent('#top-classes')).toContain('shapes-cnn.onnx:');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('on a 390 px wide phone screen nothing overflows sideways, before and after results and terms appear', async () => {
    const p = page!;
    await p.setViewportSize({ width: 390, height: 844 });
    const overflow = (): Promise<number> => p.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    try {
      await p.click('.tabs button[data-tab="sample"]');
      await p.click(`#samples button[data-file="${IMAGE}"]`);
      await p.selectOption('#model', 'shapes-cnn');
      expect(await overflow(), 'before a run').toBe(0);
      for (const box of await p.$$('#methods input')) await box.uncheck();
      for (const m of ['gradcam', 'gradcam++', 'gradcam++-exact', 'smooth-gradcam++']) await p.check(`#methods input[value="${m}"]`);
      await p.fill('#samples-n', '2');
      await p.click('#run');
      await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
      await p.click('#trace-table tbody tr:nth-child(1)');
      await p.waitForSelector('#terms canvas');
      expect(await overflow(), 'with results, notes, the channel table and the term explorer').toBe(0);
      mkdirSync(join(ROOT, 'out'), { recursive: true });
      await p.screenshot({ path: join(ROOT, 'out', 'web-e2e-390.png'), fullPage: true });
    } finally {
      await p.setViewportSize({ width: 1280, height: 1000 });
    }
    expect(pageErrors).toEqual([]);
  }, 60_000);
  it('a transformer (shapes-vit): the page offers the rollouts (and not CAM), and their maps and the token-grid Grad-CAM equal Node\'s', async () => {
    const p = page!;
    await p.click(`#samples button[data-file="${IMAGE}"]`);
    await p.selectOption('#model', 'shapes-cnn');
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.offered?.includes('cam') === true);
    const offered = (): Promise<string[]> => p.$$eval('#methods label:not([hidden]) input', (is) => is.map((i) => i.getAttribute('value') ?? ''));
    expect(await offered(), 'a CNN: no rollouts').toEqual(METHOD_NAMES.filter((n) => !n.includes('rollout')));
    await p.selectOption('#model', 'shapes-vit');
    await p.waitForFunction(() => (globalThis as unknown as PageWindow).camlab.offered?.includes('gradient-rollout') === true);
    expect(await offered(), 'a transformer: every method but CAM').toEqual(METHOD_NAMES.filter((n) => n !== 'cam'));
    expect(await p.inputValue('#model')).toBe('shapes-vit');
    const labels = await p.$$eval('#layer option', (os) => os.map((o) => o.textContent ?? ''));
    expect(labels[0]).toBe('default (encoder.layers.encoder_layer_1.ln_1:grid)');
    expect(labels).toContain('encoder.layers.encoder_layer_0:grid · TokenGrid · 32×8×8');
    const methods = ['gradcam', 'attention-rollout', 'gradient-rollout', 'smooth-gradient-rollout', 'gradcam++-rollout'];
    for (const box of await p.$$('#methods input')) await box.uncheck();
    for (const m of methods) await p.check(`#methods input[value="${m}"]`);
    await p.fill('#samples-n', String(SAMPLES));
    await p.fill('#noise', '0.15');
    await p.fill('#seed', '0');
    await p.click('#run');
    await p.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 90_000 });
    const s = await p.evaluate(() => (globalThis as unknown as PageWindow).camlab);
    expect(s.error).toBeNull();
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    await p.screenshot({ path: join(ROOT, 'out', 'web-e2e-vit.png'), fullPage: true });
    const run = s.run!;
    expect(run.model).toBe('shapes-vit');
    expect(run.outputs.map((o) => o.method)).toEqual(methods);
    const { spec, module } = nodeModel('shapes-vit');
    const x = imageToInput(decodePng(new Uint8Array(readFileSync(join(ROOT, 'examples', 'images', IMAGE))), IMAGE), spec.input);
    for (const out of run.outputs) {
      const r = explain(out.method, module, x, { target: 'predicted', samples: SAMPLES, noise: 0.15, seed: 0, trace: true });
      expect(out.classIndex).toBe(r.classes[0]);
      expect(firstDifference(out.map, r.upsampled.data), `${out.method} map`).toBe('identical');
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
