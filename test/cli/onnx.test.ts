/**
 * The CLI with ONNX models: explain, info, eval and demo take `--model m.onnx` (its sidecar read
 * automatically), module paths and token layers for --layer, labels, preprocessing flags; an
 * exported bundled model gives the numbers of its spec twin; bad models, files and names are one
 * line on stderr with exit code 2.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import type { EvalSummary } from '../../src/cli/eval.js';
import { model } from '../onnx/support/encode.js';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/onnx');
const SHAPES = join(fixtures, 'shapes-cnn.onnx');
const RESNET = join(fixtures, 'resnet18.onnx');
const VIT = join(fixtures, 'vit.dynamic.onnx');
const image = join(root, 'examples/images/shapes-cross-x2.png');
const jpeg = join(root, 'test/fixtures/jpeg/progressive.jpg');

const tmp = (): string => mkdtempSync(join(tmpdir(), 'camlab-onnx-cli-'));

interface JsonRun { top: Array<{ name: string }>; methods: Array<{ method: string; layer: string; className: string; upsampled: number[][]; weights: number[] | null }> }

function explainJson(argv: string[]): JsonRun {
  const r = cli(['explain', ...argv, '--json', '--out', tmp()]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as JsonRun;
}

function maxDiff(a: number[][], b: number[][]): number {
  const [x, y] = [a.flat(), b.flat()];
  expect(x.length).toBe(y.length);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

describe('camlab explain --model m.onnx', () => {
  it('the exported shapes-cnn (its sidecar read automatically) explains like its spec twin', () => {
    const out = tmp();
    const r = cli(['explain', image, '--model', SHAPES, '--method', 'gradcam', '--method', 'cam', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('→ shapes-cnn.onnx (input 3x64x64)');
    expect(r.out).toContain(`preprocessing: resize to 64x64, RGB, mean 0.5,0.5,0.5, std 0.25,0.25,0.25 (sidecar ${SHAPES}.json)`);
    expect(r.out).toMatch(/top classes: cross 100\.0%/);
    expect(r.out).toContain('gradcam: explains cross (class 3) at layer features.14 (/features/features.14/Relu_output_0)');
    expect(existsSync(join(out, 'shapes-cross-x2_cam_cross_features.14_overlay.png'))).toBe(true);
    const methods = ['--method', 'gradcam', '--method', 'gradcam++', '--method', 'cam', '--method', 'layercam'];
    const spec = explainJson([image, ...methods]);
    const f32 = explainJson([image, '--model', SHAPES, ...methods]);
    const f64 = explainJson([image, '--model', SHAPES, '--dtype', 'float64', ...methods]);
    spec.methods.forEach((s, i) => {
      expect(f32.methods[i]!.className).toBe(s.className);
      // The ONNX weights are float32 with BatchNorm folded into the convolutions.
      expect(maxDiff(f32.methods[i]!.upsampled, s.upsampled), s.method).toBeLessThan(1e-4);
      expect(maxDiff(f64.methods[i]!.upsampled, s.upsampled), s.method).toBeLessThan(1e-5);
    });
  });

  it('the exported 1-channel mnist-cnn (grey input, the sidecar\'s MNIST statistics) explains like its spec twin', () => {
    const digit = join(root, 'examples/images/mnist-7.png');
    const spec = explainJson([digit, '--model', 'mnist-cnn', '--method', 'gradcam++']);
    const onnx = explainJson([digit, '--model', join(fixtures, 'mnist-cnn.onnx'), '--dtype', 'float64', '--method', 'gradcam++']);
    expect(onnx.top[0]!.name).toBe('7');
    expect(onnx.methods[0]!.className).toBe(spec.methods[0]!.className);
    expect(maxDiff(onnx.methods[0]!.upsampled, spec.methods[0]!.upsampled)).toBeLessThan(1e-5);
  });

  it('reads JPEG pictures, for ONNX and spec models alike', () => {
    for (const m of [SHAPES, 'shapes-cnn']) {
      const r = cli(['explain', jpeg, '--model', m, '--method', 'gradcam', '--out', tmp()]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/progressive\.jpg → shapes-cnn(\.onnx)? \(input 3x64x64\)/);
    }
  });

  it('module paths for --layer, a labels file, --class by name; without a sidecar the default recipe is said', () => {
    const dir = tmp();
    const labels = join(dir, 'labels.txt');
    const names = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen', 'ibis', 'jay'];
    writeFileSync(labels, `${names.join('\n')}\n\n`);
    const r = cli(['explain', image, '--model', RESNET, '--layer', 'layer4', '--labels', labels, '--class', 'cat', '--method', 'gradcam++', '--out', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('preprocessing: resize the shorter side to 64, centre crop 64x64, RGB, mean 0.485,0.456,0.406, std 0.229,0.224,0.225 (defaults: no sidecar; set here: labels)');
    expect(r.out).toContain('gradcam++: explains cat (class 2) at layer layer4,');
    expect(r.out).toMatch(/top classes: (ant|bee|cat|dog|eel|fox|gnu|hen|ibis|jay) \d/);
    // A JSON array works too, and the names must cover every output.
    writeFileSync(labels, JSON.stringify(names.slice(0, 9)));
    const short = cli(['explain', image, '--model', RESNET, '--labels', labels, '--out', dir]);
    expect(short.code).toBe(2);
    expect(short.err).toBe('camlab: explain: resnet18.onnx outputs 10 class scores but its labels (the labels given) name 9 classes\n');
  });

  it('a ViT token layer by module path, without :grid, is explained on its patch grid', () => {
    const j = explainJson([image, '--model', VIT, '--layer', 'encoder.layers.encoder_layer_1.ln_1', '--method', 'gradcam', '--method', 'gradcam++']);
    for (const m of j.methods) {
      expect(m.layer).toBe('encoder.layers.encoder_layer_1.ln_1');
      expect(m.upsampled.length).toBe(32);
      expect(m.weights!.length).toBe(16); // one weight per token feature D
    }
    const grid = explainJson([image, '--model', VIT, '--layer', 'encoder.layers.encoder_layer_1.ln_1:grid', '--method', 'gradcam']);
    expect(grid.methods[0]!.upsampled).toEqual(j.methods[0]!.upsampled);
  });

  it('--size and --crop override the sidecar; a size the model cannot take is one line', () => {
    const ok = cli(['explain', image, '--model', SHAPES, '--size', '80', '--crop', '64', '--out', tmp()]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`preprocessing: resize the shorter side to 80, centre crop 64, RGB, mean 0.5,0.5,0.5, std 0.25,0.25,0.25 (sidecar ${SHAPES}.json; set here: size, crop)`);
    const bad = cli(['explain', image, '--model', SHAPES, '--crop', '32', '--out', tmp()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`camlab: explain: shapes-cnn.onnx takes 3x64x64 input but the preprocessing (sidecar ${SHAPES}.json and the options given) makes 3x32x32\n`);
  });
});

describe('camlab info --model m.onnx', () => {
  it('lists the candidate CAM layers with module paths, ops and shapes, and marks the default', () => {
    const r = cli(['info', '--model', SHAPES]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('input 3x64x64 (declared [?,3,64,64]), 4 classes (circle, square, triangle, cross)');
    expect(r.out).toMatch(/\n {2}features\.0 +Conv +\[1,8,64,64\] +\/features\/features\.0\/Conv_output_0\n/);
    expect(r.out).toMatch(/\n\* features\.14 +Relu +\[1,32,8,8\] +\/features\/features\.14\/Relu_output_0\n/);
    expect(r.out).toContain('* default CAM layer: features.14 (/features/features.14/Relu_output_0)');
    expect(r.out).not.toContain('ReduceMean'); // after global pooling: not a candidate
    const vit = cli(['info', '--model', VIT]);
    expect(vit.code).toBe(0);
    expect(vit.out).toMatch(/\n\* encoder\.layers\.encoder_layer_1\.ln_1 +tokens +\[1,16,4,4\] +\/encoder\/layers\/encoder_layer_1\/ln_1\/LayerNormalization_output_0:grid\n/);
  });
});

describe('camlab eval --model m.onnx', () => {
  const args = ['--images', '6', '--method', 'gradcam', '--method', 'cam', '--curve-images', '2', '--stability-images', '2'];

  it('the exported shapes-cnn scores as its spec twin does', () => {
    const dirA = tmp();
    const dirB = tmp();
    const a = cli(['eval', ...args, '--model', SHAPES, '--dtype', 'float64', '--out', dirA]);
    expect(a.code).toBe(0);
    expect(a.out).toContain('model shapes-cnn.onnx, layer features.14 (/features/features.14/Relu_output_0)');
    expect(cli(['eval', ...args, '--out', dirB]).code).toBe(0);
    const onnx = JSON.parse(readFileSync(join(dirA, 'summary.json'), 'utf8')) as EvalSummary;
    const spec = JSON.parse(readFileSync(join(dirB, 'summary.json'), 'utf8')) as EvalSummary;
    const close = (x: unknown, y: unknown, path: string): void => {
      if (typeof x === 'number' && typeof y === 'number') expect(Math.abs(x - y), path).toBeLessThan(1e-5 * Math.max(1, Math.abs(y)));
      else if (typeof x === 'object' && x !== null) for (const k of Object.keys(x)) close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
    };
    close(onnx.results, spec.results, 'results');
    expect(onnx.images).toBe(spec.images);
  });

  it('a model whose classes do not fit the data is one line', () => {
    const r = cli(['eval', '--model', RESNET, '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('camlab: eval: resnet18.onnx outputs 10 class scores but the shapes data has 4 classes (circle, square, triangle, cross); eval needs a model trained on that data\n');
    const dir = tmp();
    copyFileSync(SHAPES, join(dir, 'm.onnx'));
    writeFileSync(join(dir, 'm.onnx.json'), JSON.stringify({ size: [64, 64], crop: null, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], labels: ['square', 'circle', 'triangle', 'cross'] }));
    const order = cli(['eval', '--model', join(dir, 'm.onnx'), '--out', tmp()]);
    expect(order.code).toBe(2);
    expect(order.err).toBe("camlab: eval: m.onnx's classes (square, circle, triangle, cross) are not the shapes classes in label order (circle, square, triangle, cross)\n");
  });
});

describe('camlab demo --model m.onnx --images DIR', () => {
  it('explains every PNG and JPEG of the folder with the model; a method that does not apply is reported per picture', () => {
    const images = tmp();
    copyFileSync(image, join(images, 'a.png'));
    copyFileSync(jpeg, join(images, 'b.jpg'));
    const out = tmp();
    const r = cli(['demo', '--model', SHAPES, '--images', images, '--out', out, '--method', 'gradcam', '--method', 'cam']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/a\.png\s+shapes-cnn\.onnx\s+cross\s+\d+\.\d%/);
    for (const f of ['index.html', 'a_grid_gradcam+cam_cross_features.14.png', 'b_grid_gradcam+cam_square_features.14.png', 'a/a_cam_cross_features.14_overlay.png', 'b/b_gradcam_square_features.14_overlay.png']) expect(existsSync(join(out, f)), f).toBe(true);
    const vit = cli(['demo', '--model', VIT, '--images', images, '--out', tmp(), '--method', 'gradcam', '--method', 'cam']);
    expect(vit.code).toBe(0);
    expect(vit.out).toMatch(/a\.png\s+vit\.dynamic\.onnx\s+\d\s+\d+\.\d%\s+\d+\s+-\n/);
    expect(vit.out).toContain("- cam on b.jpg: CAM needs global average pooling then one linear layer after '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0:grid'");
  });
});

describe('bad models, files and names: one line on stderr, exit code 2', () => {
  const dir = tmp();
  mkdirSync(dir, { recursive: true });
  const unsupported = join(dir, 'unsupported.onnx');
  writeFileSync(unsupported, model({ input: { name: 'x', dims: [1, 3, 8, 8] }, nodes: [{ op: 'Frobnicate', inputs: ['x'], outputs: ['y'], name: '/head/Frobnicate' }] }));
  const truncated = join(dir, 'truncated.onnx');
  writeFileSync(truncated, readFileSync(SHAPES).subarray(0, 30_000));
  const grey = join(dir, 'grey.onnx');
  copyFileSync(join(fixtures, 'mnist-cnn.onnx'), grey);
  const badSidecar = join(dir, 'sidecar.onnx');
  copyFileSync(SHAPES, badSidecar);
  writeFileSync(`${badSidecar}.json`, '{"size": 64, "labels": "imagenet", "mean": [0.5]}');
  const emptyLine = join(dir, 'labels.txt');
  writeFileSync(emptyLine, 'a\n\nb\n');

  it.each([
    [['explain', image, '--model', unsupported], /^camlab: explain: unsupported operator Frobnicate \(node '\/head\/Frobnicate', opset 17\); camlab supports Abs, /],
    [['explain', image, '--model', truncated], /^camlab: explain: .*(truncated|ends|past the end|beyond)/],
    [['explain', image, '--model', SHAPES, '--layer', 'features.99'], /^camlab: explain: no layer named 'features\.99'; closest: features, features\.0, .*camlab info/],
    [['explain', image, '--model', RESNET, '--layer', 'layer9'], /^camlab: explain: no layer named 'layer9'; closest: layer1, layer2, layer3, layer4 \(/],
    [['info', '--model', truncated], /^camlab: info: /],
    [['eval', '--model', unsupported], /^camlab: eval: unsupported operator Frobnicate/],
    [['demo', '--model', truncated, '--images', join(root, 'examples/images')], /^camlab: demo: /],
    [['explain', image, '--model', join(dir, 'missing.onnx')], /^camlab: explain: cannot read the ONNX model .*missing\.onnx \(no such file\)\n$/],
    [['explain', image, '--size', '224'], /^camlab: explain: --size applies to ONNX models \(--model m\.onnx\); shapes-cnn takes its preprocessing and classes from its spec\n$/],
    [['explain', image, '--model', SHAPES, '--weights', 'w.safetensors'], /^camlab: explain: --weights is for model specs; .*shapes-cnn\.onnx holds its own weights\n$/],
    [['explain', image, '--model', SHAPES, '--size', '0'], /^camlab: explain: --size must be N, HxW \(1 to 65536\) or none, got '0'\n$/],
    [['explain', image, '--model', SHAPES, '--std', '1,0,1'], /^camlab: explain: --std values must be > 0, got 1,0,1\n$/],
    [['explain', image, '--model', SHAPES, '--mean', '0.5,x'], /^camlab: explain: --mean must be comma-separated numbers \(one per channel\), got '0\.5,x'\n$/],
    [['explain', image, '--model', SHAPES, '--mean', '0.5'], /^camlab: explain: shapes-cnn\.onnx takes 3-channel input: give 3 mean and std values \(a sidecar shapes-cnn\.onnx\.json, or --mean and --std\), got 1 and 3\n$/],
    [['explain', image, '--model', SHAPES, '--dtype', 'float16'], /^camlab: explain: --dtype must be float32 or float64, got 'float16'\n$/],
    [['explain', image, '--model', SHAPES, '--labels', emptyLine], /^camlab: explain: --labels .*labels\.txt: line 2 is empty \(one class name per line, in output order\)\n$/],
    [['explain', image, '--model', SHAPES, '--labels', 'imagenet'], /^camlab: explain: shapes-cnn\.onnx outputs 4 class scores but its labels \(the labels given\) name 1000 classes\n$/],
    [['explain', image, '--model', grey], /^camlab: explain: grey\.onnx takes 1-channel input: give 1 mean and std values \(a sidecar grey\.onnx\.json, or --mean and --std\), got 0 and 0\n$/],
    [['explain', image, '--model', badSidecar], /^camlab: explain: .*sidecar\.onnx\.json: mean must be 3 numbers, got \[0\.5\]\n$/],
  ])('%j', (argv, message) => {
    const r = cli(argv[0] === 'explain' || argv[0] === 'eval' || argv[0] === 'demo' ? [...argv, '--out', tmp()] : argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });
});
