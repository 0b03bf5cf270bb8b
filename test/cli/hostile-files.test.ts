/**
 * Issue #13, "Images and files", through the command line: every hostile file is built here,
 * and each must give exit code 2, one exact line on stderr, and no output file. Also JPEG input,
 * several pictures with a bad one among them, demo over such a folder, model specs whose class
 * list does not fit, and `train` never overwriting weights or a bundled model's folder.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { shapesCnnSpec } from '../../src/nn/zoo.js';
import { cli, filesUnder, tmpDir } from '../support/cli.js';
import { writeRandomModel } from '../support/model-files.js';
import { handPng, rawPng, toBytes } from '../io/png-writer.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const IMAGE = join(ROOT, 'examples/images/shapes-cross-x2.png');
const JPEGS = join(ROOT, 'test/fixtures/jpeg');

/** Writes `bytes` as dir/name and returns the path. */
function file(dir: string, name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Runs `camlab explain FILE --out OUT` and checks: exit 2, exactly `line` on stderr, nothing on stdout, no output folder. */
function refused(picture: string, line: string, extra: string[] = []): void {
  const out = join(tmpDir(), 'out');
  const r = cli(['explain', picture, '--method', 'gradcam', '--out', out, ...extra]);
  expect(r.err).toBe(`${line}\n`);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(existsSync(out), 'nothing written').toBe(false);
}

const deflated = (n: number): Uint8Array => toBytes(deflateSync(new Uint8Array(n)));

describe('hostile pictures: exit 2, one exact line, nothing written', () => {
  const dir = tmpDir();

  it('decompression bombs are refused from the header (68 bytes declaring 100000000x1, or 12000x12000)', () => {
    const long = file(dir, 'long.png', rawPng(100_000_000, 1, deflated(3)));
    expect(readFileSync(long).length).toBeLessThan(70);
    refused(long, `camlab: explain: ${long} declares 100000000x1 = 100000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding`);
    const square = file(dir, 'square.png', rawPng(12000, 12000, deflated(1)));
    refused(square, `camlab: explain: ${square} declares 12000x12000 = 144000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding`);
    const jpeg = file(dir, 'huge.jpg', Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 60000 >> 8, 60000 & 255, 60000 >> 8, 60000 & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1));
    refused(jpeg, `camlab: explain: ${jpeg} declares 60000x60000 = 3600000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding`);
  });

  it('--max-pixels sets the limit: the 64x64 sample is refused at 4095 and read at 4096', () => {
    refused(IMAGE, `camlab: explain: ${IMAGE} declares 64x64 = 4096 pixels, more than the limit of 4095 (option maxPixels, camlab --max-pixels); refused before decoding`, ['--max-pixels', '4095']);
    const r = cli(['explain', IMAGE, '--method', 'gradcam', '--no-images', '--max-pixels', '4096']);
    expect(r.code).toBe(0);
  });

  it('truncated pixel data, a zero width, a CRC error and other formats say what they are — the same every time', () => {
    const truncated = file(dir, 'truncated.png', rawPng(1000, 1000, deflated(2)));
    const zero = file(dir, 'zero.png', rawPng(0, 5, deflated(1)));
    const good = handPng({ width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[1, 2]] });
    const crcBytes = good.slice();
    crcBytes[8 + 25 + 9] = crcBytes[8 + 25 + 9]! ^ 0x10; // a data byte inside IDAT
    const crc = file(dir, 'crc.png', crcBytes);
    const gif = file(dir, 'photo.png', 'GIF89a\x01\x00\x01\x00\x00\x00\x00;');
    const cut = file(dir, 'cut.jpg', readFileSync(join(JPEGS, 'progressive.jpg')).subarray(0, 300));
    const text = file(dir, 'notes.png', 'just some text\n');
    const cases: Array<[string, string]> = [
      [truncated, `${truncated} is not a readable PNG (truncated pixel data: IDAT inflates to 2 bytes, a 1000x1000 8-bit RGBA image needs 4001000)`],
      [zero, `${zero} declares 0x5 pixels: an image needs a width and a height of at least 1`],
      [crc, `${crc} is not a readable PNG (CRC mismatch in IDAT, the chunk at byte 33)`],
      [gif, `${gif} is not a PNG or JPEG image (this is a GIF file)`],
      [cut, `${cut} is not a readable JPEG (truncated: the file ends at byte 300 without an end-of-image marker)`],
      [text, `${text} is not a PNG or JPEG image (this is a text file)`],
      [join(dir, 'missing.png'), `image file not found: ${join(dir, 'missing.png')}`],
    ];
    for (const [picture, message] of cases) {
      refused(picture, `camlab: explain: ${message}`);
      refused(picture, `camlab: explain: ${message}`); // the same bytes, the same message
    }
  });

  it('a model spec whose class list does not fit the model is refused at load, naming both numbers', () => {
    const d = tmpDir();
    const s = shapesCnnSpec();
    const three = writeRandomModel(d, 'three', { ...s, classes: s.classes.slice(0, 3) }, 1);
    const five = writeRandomModel(d, 'five', { ...s, classes: [...s.classes, 'e'] }, 1);
    refused(IMAGE, "camlab: explain: 'classes' lists 3 names but model 'shapes-cnn' outputs 4 class scores; give one name per output", ['--model', three]);
    refused(IMAGE, "camlab: explain: 'classes' lists 5 names but model 'shapes-cnn' outputs 4 class scores; give one name per output", ['--model', five, '--class', 'e']);
  });
});

describe('JPEG pictures and several pictures at once', () => {
  it('explains baseline and progressive JPEGs (the format comes from the bytes, not the name)', () => {
    const dir = tmpDir();
    const out = join(dir, 'out');
    const renamed = file(dir, 'really-a-jpeg.png', readFileSync(join(JPEGS, 'orient-1.jpg')));
    const r = cli(['explain', join(JPEGS, 'orient-6.jpg'), join(JPEGS, 'progressive.jpg'), join(JPEGS, 'progressive-grey.jpg'), renamed, '--method', 'gradcam', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(filesUnder(out).filter((f) => f.endsWith('_overlay.png')).map((f) => f.split('_')[0])).toEqual(['orient-6', 'progressive-grey', 'progressive', 'really-a-jpeg']);
  });

  /** A folder of pictures: the sample as PNG, a progressive JPEG, and a bad file (named in that order); and where output goes. */
  function folderWithBad(names: readonly [string, string, string], bad: Uint8Array | string): { pictures: string; bad: string; out: string } {
    const dir = tmpDir();
    const pictures = join(dir, 'pictures');
    mkdirSync(pictures);
    copyFileSync(IMAGE, join(pictures, names[0]));
    copyFileSync(join(JPEGS, 'progressive.jpg'), join(pictures, names[1]));
    return { pictures, bad: file(pictures, names[2], bad), out: join(dir, 'out') };
  }

  it('a folder with one bad picture: the others are explained and written, the bad one is reported, exit 2', () => {
    const { pictures, bad, out } = folderWithBad(['a.png', 'b.jpg', 'c.png'], rawPng(100_000_000, 1, deflated(3)));
    const r = cli(['explain', pictures, '--method', 'gradcam', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`camlab: explain: ${bad} declares 100000000x1 = 100000000 pixels, more than the limit of 50000000 (option maxPixels, camlab --max-pixels); refused before decoding (skipped)\n` +
      'camlab: explain: 1 of 3 pictures could not be explained\n');
    expect(filesUnder(out)).toEqual(['a_gradcam_cross_features.14_heatmap.png', 'a_gradcam_cross_features.14_overlay.png', 'b_gradcam_square_features.14_heatmap.png', 'b_gradcam_square_features.14_overlay.png']);
    expect(r.out).toContain(`${join(pictures, 'b.jpg')} → shapes-cnn`);
  });

  it('demo over a folder with one bad picture goes on, writes index.html listing it, and exits 2', () => {
    const { pictures, out } = folderWithBad(['shapes-a.png', 'shapes-b.jpg', 'shapes-c.png'], 'not a picture');
    const r = cli(['demo', '--images', pictures, '--out', out, '--method', 'gradcam']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`camlab: demo: shapes-c.png: ${join(pictures, 'shapes-c.png')} is not a PNG or JPEG image (this is a text file) (skipped)\n` +
      `camlab: demo: 1 of 3 pictures could not be explained (listed in ${join(out, 'index.html')})\n`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<h2>Not explained</h2>');
    expect(html).toContain('<li><b>shapes-c.png</b>: ');
    expect(filesUnder(out)).toEqual([
      'index.html',
      'shapes-a/input.png', 'shapes-a/shapes-a_gradcam_cross_features.14_heatmap.png', 'shapes-a/shapes-a_gradcam_cross_features.14_overlay.png',
      'shapes-a_grid_gradcam_cross_features.14.png',
      'shapes-b/input.png', 'shapes-b/shapes-b_gradcam_square_features.14_heatmap.png', 'shapes-b/shapes-b_gradcam_square_features.14_overlay.png',
      'shapes-b_grid_gradcam_square_features.14.png',
    ]);
  });
});

describe('camlab train never overwrites weights, and writes into a bundled model\'s folder only when asked', () => {
  const tiny = ['--data', 'shapes', '--epochs', '1', '--train-size', '8', '--held-out', '4', '--batch-size', '4'];

  it('by default it writes to out/models/<arch> of the current folder, not models/<arch>', () => {
    const cwd = tmpDir();
    const bundled = readFileSync(join(ROOT, 'models/shapes-cnn/model.safetensors'));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/camlab.js'), 'train', ...tiny], { cwd, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(filesUnder(cwd)).toEqual(['out/models/shapes-cnn/metrics.json', 'out/models/shapes-cnn/model.safetensors', 'out/models/shapes-cnn/spec.json']);
    expect(readFileSync(join(ROOT, 'models/shapes-cnn/model.safetensors')).equals(bundled)).toBe(true);
  });

  it('existing weights: refused before training without --force (nothing written), replaced with it', () => {
    const out = join(tmpDir(), 'shapes-cnn');
    mkdirSync(out);
    writeFileSync(join(out, 'model.safetensors'), 'precious weights');
    const r = cli(['train', ...tiny, '--out', out]);
    expect(r.err).toBe(`camlab: train: ${join(out, 'model.safetensors')} already exists; pass --force to overwrite it, or choose another --out\n`);
    expect(r.code).toBe(2);
    expect(r.out).toBe(''); // refused before training started
    expect(filesUnder(out)).toEqual(['model.safetensors']);
    expect(readFileSync(join(out, 'model.safetensors'), 'utf8')).toBe('precious weights');
    const forced = cli(['train', ...tiny, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(filesUnder(out)).toEqual(['metrics.json', 'model.safetensors', 'spec.json']);
    expect(readFileSync(join(out, 'model.safetensors')).subarray(8, 9).toString()).toBe('{'); // safetensors: 8-byte length, then JSON
  });

  it('--weight-decay and --warmup: AdamW with warm-up, said in the log and recorded in metrics.json', () => {
    const out = join(tmpDir(), 'adamw');
    const r = cli(['train', ...tiny, '--out', out, '--weight-decay', '0.05', '--warmup', '0.5']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/batch 4, AdamW \(weight decay 0\.05\), lr 0\.003 after 0\.5 warm-up epoch\(s\), cosine decay, seed 0/);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { weightDecay: number; warmupEpochs: number; command: string };
    expect([metrics.weightDecay, metrics.warmupEpochs]).toEqual([0.05, 0.5]);
    expect(metrics.command).toMatch(/--weight-decay 0\.05 --warmup 0\.5$/);
  });
});
