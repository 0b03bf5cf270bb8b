#!/usr/bin/env node
// Builds the static web page into dist-web/ (or --out DIR): web/main.ts → app.js and
// web/worker.ts → worker.js bundled by esbuild straight from the TypeScript sources, the HTML and
// CSS, the bundled models that exist (models/NAME/spec.json + model.safetensors), the sample
// images (examples/images/*.png) and a manifest.json telling the page which models are there.
//
//   node scripts/build-web.mjs [--out DIR] [--models DIR]
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_MODELS = ['shapes-cnn', 'shapes-vit', 'mnist-cnn'];

const TRAIN_HINT = {
  'shapes-cnn': 'npx camlab train --data shapes --out models/shapes-cnn',
  'shapes-vit': 'npx camlab train --data shapes --arch shapes-vit --epochs 24 --batch-size 64 --lr 0.004 --out models/shapes-vit',
  'mnist-cnn': 'npx camlab train --data mnist --out models/mnist-cnn',
};

/** Builds the page; returns the output folder and the manifest it wrote. */
export async function buildWeb({ out = join(ROOT, 'dist-web'), modelsDir = join(ROOT, 'models'), quiet = false } = {}) {
  out = resolve(out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(ROOT, 'web', 'main.ts'), worker: join(ROOT, 'web', 'worker.ts') },
    outdir: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    sourcemap: 'linked',
    // Whitespace and identifiers only: no syntax rewriting of the numeric code.
    minifyWhitespace: true,
    minifyIdentifiers: true,
    minifySyntax: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  if (result.errors.length > 0) throw new Error('esbuild failed');
  for (const f of ['index.html', 'styles.css']) copyFileSync(join(ROOT, 'web', f), join(out, f));

  const models = [];
  for (const name of WEB_MODELS) {
    const dir = join(modelsDir, name);
    const spec = join(dir, 'spec.json');
    const weights = join(dir, 'model.safetensors');
    if (!existsSync(spec) || !existsSync(weights)) {
      models.push({ name, available: false, reason: `models/${name} was not there when the page was built (train it with \`${TRAIN_HINT[name]}\`, then rebuild)` });
      continue;
    }
    mkdirSync(join(out, 'models', name), { recursive: true });
    copyFileSync(spec, join(out, 'models', name, 'spec.json'));
    copyFileSync(weights, join(out, 'models', name, 'model.safetensors'));
    const s = JSON.parse(readFileSync(spec, 'utf8'));
    models.push({
      name, available: true, spec: `models/${name}/spec.json`, weights: `models/${name}/model.safetensors`,
      classes: s.classes, input: { channels: s.input.channels, height: s.input.height, width: s.input.width },
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
    });
  }

  const images = [];
  mkdirSync(join(out, 'images'), { recursive: true });
  for (const f of readdirSync(join(ROOT, 'examples', 'images')).filter((f) => f.endsWith('.png')).sort()) {
    copyFileSync(join(ROOT, 'examples', 'images', f), join(out, 'images', f));
    images.push({ file: `images/${f}`, name: f, model: f.startsWith('mnist') ? 'mnist-cnn' : 'shapes-cnn' });
  }
  const manifest = { models, images, built: new Date().toISOString() };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  if (!quiet) {
    const kb = (f) => Math.round(result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith(f))]?.bytes / 1024);
    console.log(`built ${out}: app.js ${kb('app.js')} KiB, worker.js ${kb('worker.js')} KiB, models ${models.map((m) => `${m.name}${m.available ? '' : ' (missing)'}`).join(', ')}, ${images.length} sample images`);
  }
  return { out, manifest };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') opts.out = argv[++i];
    else if (argv[i] === '--models') opts.modelsDir = argv[++i];
    else {
      console.error(`build-web: unknown argument '${argv[i]}' (usage: node scripts/build-web.mjs [--out DIR] [--models DIR])`);
      process.exit(2);
    }
  }
  await buildWeb(opts);
}
