/**
 * The README's promise, end to end on a fresh clone: `scripts/onnx-export-full.py resnet18
 * --random` (Debian's python3-torch, no download), then `camlab explain photo.jpg --model
 * resnet18.onnx --labels imagenet` on a JPEG. The 47 MB model is generated on demand into a
 * temporary folder (never committed), so the test needs Debian's python3-torch,
 * python3-torchvision and python3-onnx (`.ci/run` installs them when missing); without them it
 * fails saying so, rather than skipping.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { decodePng } from '../../src/io/png.js';

const root = new URL('../../', import.meta.url).pathname;

describe('full-size ResNet-18 exported by scripts/onnx-export-full.py', () => {
  let dir = '';
  let model = '';
  let photo = '';

  beforeAll(() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import torch, torchvision, onnx'], { stdio: 'pipe' });
    } catch {
      throw new Error('full-export: needs /usr/bin/python3 with torch, torchvision and onnx: apt-get install -y python3-torch python3-torchvision python3-onnx');
    }
    dir = mkdtempSync(join(tmpdir(), 'camlab-full-onnx-'));
    execFileSync('/usr/bin/python3', ['scripts/onnx-export-full.py', 'resnet18', '--random', '--out', dir], { cwd: root, stdio: 'pipe' });
    model = join(dir, 'resnet18.onnx');
    // A 400x300 JPEG photo-sized picture (a sample image scaled up, encoded by jpeg-js).
    const src = decodePng(new Uint8Array(readFileSync(join(root, 'examples/images/shapes-circle-x3.png'))));
    const [w, h] = [400, 300];
    const data = Buffer.alloc(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = 4 * (Math.floor((y * src.height) / h) * src.width + Math.floor((x * src.width) / w));
        data.set(src.data.subarray(s, s + 4), 4 * (y * w + x));
      }
    }
    photo = join(dir, 'photo.jpg');
    writeFileSync(photo, jpeg.encode({ data, width: w, height: h }, 90).data);
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('the script writes the model and its sidecar', () => {
    expect(existsSync(model)).toBe(true);
    expect(existsSync(`${model}.json`)).toBe(true);
  });

  it('camlab explain photo.jpg --model resnet18.onnx --labels imagenet', () => {
    const out = join(dir, 'out');
    const r = cli(['explain', photo, '--model', model, '--labels', 'imagenet', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('photo.jpg → resnet18.onnx (input 3x224x224)');
    expect(r.out).toContain('preprocessing: resize the shorter side to 256, centre crop 224, RGB, mean 0.485,0.456,0.406, std 0.229,0.224,0.225');
    expect(r.out).toMatch(/top classes: [a-zA-Z' -]+ \d+\.\d%/);
    expect(r.out).toMatch(/gradcam\+\+: explains [a-zA-Z' -]+ \(class \d+\) at layer layer4\.1\.relu_1 \(\/layer4\/layer4\.1\/relu_1\/Relu_output_0\)/);
    // Files are named image_method_class_layer (the class is whatever the random weights predict).
    const overlay = readdirSync(out).find((f) => /^photo_gradcam\+\+_.+_layer4\.1\.relu-1_overlay\.png$/.test(f));
    expect(overlay, readdirSync(out).join(', ')).toBeDefined();
  }, 120_000);

  it('camlab info --model resnet18.onnx lists layer4.1 and marks the default', () => {
    const r = cli(['info', '--model', model]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n\* layer4\.1\.relu_1 +Relu +\[1,512,7,7\] +\/layer4\/layer4\.1\/relu_1\/Relu_output_0\n/);
  }, 60_000);
});
