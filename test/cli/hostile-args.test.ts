/**
 * Issue #13, "The command line": flags that swallow flags, unbounded counts, options that do not
 * apply, output errors, partial output, file names, error prefixes. Each hostile case checks exit
 * code 2, the exact one line on stderr and that nothing was written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { hrefOf } from '../../src/cli/demo.js';
import { saveWeights } from '../../src/io/model.js';
import { heInit } from '../../src/nn/init.js';
import { buildModel } from '../../src/nn/spec.js';
import { shapesCnnSpec } from '../../src/nn/zoo.js';
import { Rng } from '../../src/tensor/rng.js';
import { cli, cliAsync, filesUnder, tmpDir } from '../support/cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const IMAGE = join(ROOT, 'examples/images/shapes-cross-x2.png');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs argv with `--out OUT` in a fresh folder (unless the command takes none); checks exit 2, exactly `line`, and that OUT was not made. */
function refused(argv: string[], line: string): void {
  const out = join(tmpDir(), 'out');
  const withOut = ['explain', 'demo', 'eval', 'train'].includes(argv[0]!) && !argv.includes('--out') && !argv.includes('--no-images') ? [...argv, '--out', out] : argv;
  const r = cli(withOut);
  expect(r.err).toBe(`${line}\n`);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(existsSync(out), 'nothing written').toBe(false);
}

describe('the command line: bad flags are one exact line, exit 2, before anything is written', () => {
  it('a value flag does not swallow the next flag (`--out --json` made a folder named --json)', () => {
    refused(['explain', IMAGE, '--out', '--json'], 'camlab: explain: --out needs a value, got the option --json (write --out=--json if that is the value)');
    expect(existsSync(join(ROOT, '--json'))).toBe(false);
    refused(['demo', '--images', '--out', 'x'], 'camlab: demo: --images needs a value, got the option --out (write --images=--out if that is the value)');
  });

  it('every count is bounded (README: Limits), in every command', () => {
    const cases: Array<[string[], string]> = [
      [['explain', IMAGE, '--method', 'smoothgrad', '--samples', '1e9'], 'explain: --samples must be between 1 and 1000, got 1000000000'],
      [['explain', IMAGE, '--method', 'smoothgrad', '--noise', '11'], 'explain: --noise must be between 0 and 10, got 11'],
      [['explain', IMAGE, '--exact', '--batch-size', '65537'], 'explain: --batch-size must be between 1 and 65536, got 65537'],
      [['explain', IMAGE, '--alpha', '1.5'], 'explain: --alpha must be between 0 and 1, got 1.5'],
      [['explain', IMAGE, '--max-pixels', '0'], 'explain: --max-pixels must be between 1 and 500000000, got 0'],
      [['explain', IMAGE, '--method', 'smoothgrad', '--seed', '1e300'], 'explain: --seed must be between -9007199254740991 and 9007199254740991, got 1e+300'],
      [['demo', '--samples', '1001'], 'demo: --samples must be between 1 and 1000, got 1001'],
      [['eval', '--images', '100001'], 'eval: --images must be between 1 and 100000, got 100001'],
      [['eval', '--examples', '1001'], 'eval: --examples must be between 0 and 1000, got 1001'],
      [['train', '--data', 'shapes', '--epochs', '1001'], 'train: --epochs must be between 1 and 1000, got 1001'],
      [['train', '--data', 'shapes', '--batch-size', '4097'], 'train: --batch-size must be between 1 and 4096, got 4097'],
      [['train', '--data', 'shapes', '--train-size', '1e7'], 'train: --train-size must be between 1 and 1000000, got 10000000'],
      [['train', '--data', 'shapes', '--lr', '11'], 'train: --lr must be between 1e-8 and 10, got 11'],
      [['train', '--data', 'shapes', '--weight-decay', '-0.1'], 'train: --weight-decay must be between 0 and 10, got -0.1'],
      [['train', '--data', 'shapes', '--warmup', '1001'], 'train: --warmup must be between 0 and 1000, got 1001'],
      [['train', '--data', 'shapes', '--micro-batches', '65'], 'train: --micro-batches must be between 1 and 64, got 65'],
      [['train', '--data', 'shapes', '--micro-batches', '8', '--batch-size', '4'], 'train: --micro-batches 8 is more than the batch size 4'],
    ];
    for (const [argv, message] of cases) refused(argv, `camlab: ${message}`);
  });

  it('--workers too (eval with workers runs asynchronously)', async () => {
    const out = join(tmpDir(), 'out');
    expect(await cliAsync(['eval', '--workers', '65', '--out', out])).toEqual({ code: 2, out: '', err: 'camlab: eval: --workers must be between 1 and 64, got 65\n' });
    expect(existsSync(out)).toBe(false);
  });

  it('an option no chosen method takes is an error naming the methods; one some take is noted', () => {
    refused(['explain', IMAGE, '--method', 'layercam', '--exact'], 'camlab: explain: --exact does not apply to layercam (it applies to gradcam++, gradcam++-exact, smooth-gradcam++, gradcam++-rollout, gradcam++-rollout-exact, smooth-gradcam++-rollout)');
    refused(['explain', IMAGE, '--method', 'gradcam', '--preset', 'torchcam'], 'camlab: explain: --preset does not apply to gradcam (it applies to gradcam++, gradcam++-exact, scorecam, smooth-gradcam++)');
    refused(['explain', IMAGE, '--no-images', '--alpha', '0.3'], 'camlab: explain: --alpha does not apply with --no-images (no PNG is written)');
    const r = cli(['explain', IMAGE, '--method', 'gradcam++', '--method', 'layercam', '--exact', '--output', 'softmax', '--no-images']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\nnote: --exact, --output apply to gradcam++ only; layercam does not take them\n');
  });

  it('output errors: --out is a file, a file name that is a folder, a folder camlab may not write into', () => {
    const dir = tmpDir();
    const asFile = join(dir, 'a-file');
    writeFileSync(asFile, 'x');
    refused(['explain', IMAGE, '--out', asFile], `camlab: explain: --out ${asFile} is a file, not a folder`);
    refused(['explain', IMAGE, '--out', join(asFile, 'below')], `camlab: explain: --out ${join(asFile, 'below')}: ${asFile} is a file, not a folder`);
    refused(['explain', IMAGE, '--out', '/sys/camlab-test'], 'camlab: explain: cannot write into /sys (to make /sys/camlab-test): permission denied');
    // A folder where an output file goes: nothing of the run is written (the other file neither).
    const out = join(dir, 'out');
    const blocking = join(out, 'shapes-cross-x2_gradcam_cross_features.14_overlay.png');
    mkdirSync(blocking, { recursive: true });
    const r = cli(['explain', IMAGE, '--method', 'gradcam', '--out', out]);
    expect(r.err).toBe(`camlab: explain: cannot write ${blocking}: it is a folder\n`);
    expect(r.code).toBe(2);
    expect(filesUnder(out)).toEqual([]);
    expect(existsSync(blocking)).toBe(true);
  });

  it('a command that fails after some methods ran leaves nothing (files are renamed into place at the end)', () => {
    const out = join(tmpDir(), 'out');
    const r = cli(['explain', IMAGE, '--method', 'gradcam', '--method', 'layercam', '--method', 'cam', '--layer', 'features.10', '--out', out]);
    expect(r.err).toMatch(/^camlab: explain --method cam: CAM needs global average pooling then one linear layer after 'features\.10'; the model has MaxPool2d/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('error prefixes name the command (and the method), never an internal function', () => {
    refused(['explain', IMAGE, '--layer', 'features.99'], "camlab: explain: no layer named 'features.99'; layers are: features, features.0, features.1, features.2, features.3, features.4, features.5, features.6, features.7, features.8, features.9, features.10, features.11, features.12, features.13, features.14, pool, classifier");
    refused(['explain', IMAGE, '--model', 'resnet'], "camlab: explain: unknown model 'resnet': use shapes-cnn, shapes-vit, mnist-cnn, a spec .json file or an .onnx file");
    refused(['eval', '--layer', 'nope', '--method', 'gradcam'], "camlab: eval: no layer named 'nope'; layers are: features, features.0, features.1, features.2, features.3, features.4, features.5, features.6, features.7, features.8, features.9, features.10, features.11, features.12, features.13, features.14, pool, classifier");
  });

  it('smoothgrad refuses a non-finite score like every other method (weights holding NaN)', () => {
    const dir = tmpDir();
    const spec = shapesCnnSpec();
    const m = buildModel(spec, new Rng(1));
    heInit(m.namedParameters(), new Rng(2));
    const bias = m.namedParameters().find(([n]) => n === 'classifier.bias')![1];
    bias.data.fill(NaN);
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    writeFileSync(join(dir, 'model.safetensors'), saveWeights(m));
    refused(['explain', IMAGE, '--model', join(dir, 'spec.json'), '--method', 'smoothgrad', '--samples', '2'], "camlab: explain --method smoothgrad: the model's score of image 0 is NaN; the weights or the input are not finite");
  });

  it('`camlab` alone prints the help on stderr and exits 2; --version prints the version', () => {
    const r = cli([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^camlab: Grad-CAM, .*\n\nusage: camlab <command> \[options\]\n/);
    expect(cli(['--version'])).toEqual({ code: 0, out: `camlab ${VERSION}\n`, err: '' });
  });
});

describe('what explain writes', () => {
  it('file names say method, settings, class and layer: runs with different settings do not overwrite each other', () => {
    const out = join(tmpDir(), 'out');
    const runs = [
      ['--method', 'gradcam++'],
      ['--method', 'gradcam++', '--preset', 'torchcam'],
      ['--method', 'gradcam++', '--exact', '--output', 'softmax'],
      ['--method', 'gradcam++', '--class', 'circle'],
      ['--method', 'gradcam++', '--layer', 'features.10'],
      ['--method', 'smooth-gradcam++', '--samples', '2', '--seed', '3'],
    ];
    for (const argv of runs) expect(cli(['explain', IMAGE, ...argv, '--out', out]).code).toBe(0);
    expect(filesUnder(out).filter((f) => f.endsWith('_overlay.png'))).toEqual([
      'shapes-cross-x2_gradcam++-exact-softmax_cross_features.14_overlay.png',
      'shapes-cross-x2_gradcam++-torchcam_cross_features.14_overlay.png',
      'shapes-cross-x2_gradcam++_circle_features.14_overlay.png',
      'shapes-cross-x2_gradcam++_cross_features.10_overlay.png',
      'shapes-cross-x2_gradcam++_cross_features.14_overlay.png',
      'shapes-cross-x2_smooth-gradcam++-n2-noise0.15-seed3_cross_features.14_overlay.png',
    ]);
  });

  it('--no-images writes nothing; --alpha 1 draws the heatmap alone, --alpha 0 the picture alone', () => {
    const r = cli(['explain', IMAGE, '--method', 'gradcam', '--no-images', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { methods: Array<{ files: string[] }> }).methods[0]!.files).toEqual([]);
    const out = join(tmpDir(), 'out');
    const pixels = (alpha: string, method: string, kind: string): Buffer => {
      expect(cli(['explain', IMAGE, '--method', method, '--alpha', alpha, '--out', join(out, alpha)]).code).toBe(0);
      return PNG.sync.read(readFileSync(join(out, alpha, `shapes-cross-x2_${method}_cross_features.14_${kind}.png`))).data;
    };
    expect(pixels('1', 'gradcam', 'overlay').equals(pixels('1', 'gradcam', 'heatmap'))).toBe(true);
    expect(pixels('0', 'gradcam', 'overlay').equals(pixels('0', 'gradcam', 'heatmap'))).toBe(false);
    expect(pixels('0', 'gradcam', 'overlay').equals(pixels('0', 'layercam', 'overlay'))).toBe(true); // the map does not show
    expect(pixels('1', 'gradcam', 'overlay').equals(pixels('1', 'layercam', 'overlay'))).toBe(false);
  });

  it('each computation once; same maps are said, with the reason from the head after the layer', () => {
    const r = cli(['explain', IMAGE, '--method', 'gradcam++', '--method', 'gradcam++-exact', '--method', 'smooth-gradcam++', '--samples', '2', '--no-images']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('\nsame map: gradcam++, gradcam++-exact and smooth-gradcam++ give the same map: after features.14 comes GlobalAvgPool → Linear(32, 4); ' +
      'the head is piecewise linear, so ∂²S/∂A² = 0 and the exact derivatives of Y = exp(S − S₀) are Y·g², Y·g³: the closed form is exact; ' +
      'S is affine in A, so g does not depend on the input and the noisy samples average to g, g², g³\n');
    const exact = cli(['explain', IMAGE, '--method', 'gradcam++', '--method', 'gradcam++-exact', '--exact', '--json', '--no-images']);
    const j = JSON.parse(exact.out) as { methods: Array<{ method: string; sameAs: string | null; upsampled: number[][] }>; sameMaps: unknown[] };
    expect(j.methods.map((m) => [m.method, m.sameAs])).toEqual([['gradcam++', null], ['gradcam++-exact', 'gradcam++']]);
    expect(j.methods[1]!.upsampled).toEqual(j.methods[0]!.upsampled);
    expect(j.sameMaps).toEqual([]); // one computation, not two methods that happen to agree
    const text = cli(['explain', IMAGE, '--method', 'gradcam++', '--method', 'gradcam++-exact', '--exact', '--no-images']);
    expect(text.out).toContain('\ngradcam++-exact: the same computation as gradcam++ (computed once)\n');
  });
});

describe('what demo writes', () => {
  it('paths in index.html are URL-encoded and every one of them is a file it wrote', () => {
    expect(hrefOf('a#b c+d/x&y"z.png')).toBe('a%23b%20c%2Bd/x%26y%22z.png');
    const dir = tmpDir();
    const pictures = join(dir, 'pictures');
    mkdirSync(pictures);
    writeFileSync(join(pictures, 'shapes-a#b.png'), readFileSync(IMAGE));
    const out = join(dir, 'out');
    expect(cli(['demo', '--images', pictures, '--out', out, '--method', 'gradcam++', '--method', 'layercam']).code).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBe(4); // the input, two overlays, the grid
    expect(links.some((l) => l.includes('%2B%2B'))).toBe(true); // gradcam++ → gradcam%2B%2B
    for (const l of links) expect(existsSync(join(out, decodeURIComponent(l))), l).toBe(true);
  });
});
