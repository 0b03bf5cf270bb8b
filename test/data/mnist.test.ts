import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';

/** Digits per class in the `mnist` package (1.1.0). */
const COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const TRAIN = COUNTS.map((n) => Math.floor((n * 85) / 100));
const HELD = COUNTS.map((n, d) => n - TRAIN[d]!);

function key(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

describe('loadMnist', () => {
  const { train, heldOut } = loadMnist();

  it('splits each digit 85 / 15 (floor): 8,495 train and 1,505 held-out', () => {
    expect(TRAIN).toEqual([850, 957, 842, 877, 833, 733, 861, 909, 802, 831]);
    expect(train.images.length).toBe(8495);
    expect(train.labels.length).toBe(8495);
    expect(heldOut.images.length).toBe(1505);
    expect(heldOut.labels.length).toBe(1505);
    for (let d = 0; d < 10; d++) {
      expect(train.labels.filter((l) => l === d).length).toBe(TRAIN[d]);
      expect(heldOut.labels.filter((l) => l === d).length).toBe(HELD[d]);
    }
  });

  it('images are 784 floats in [0, 1], not blank', () => {
    for (const set of [train, heldOut]) {
      for (const img of set.images) {
        expect(img).toBeInstanceOf(Float32Array);
        expect(img.length).toBe(784);
        let sum = 0;
        for (let i = 0; i < 784; i++) {
          const v = img[i]!;
          if (!(v >= 0 && v <= 1)) expect.fail(`pixel value ${v} not in [0, 1]`);
          sum += v;
        }
        if (!(sum > 10)) expect.fail(`blank digit (ink ${sum})`);
      }
    }
  });

  it('held-out digits never appear in train', () => {
    const seen = new Set(train.images.map(key));
    expect(seen.size).toBe(train.images.length);
    for (const img of heldOut.images) if (seen.has(key(img))) expect.fail('a held-out digit is also in train');
  });

  it('labels match the package files: train is each file\'s head, held-out its tail, in order', () => {
    const dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
    let trainStart = 0;
    let heldStart = 0;
    for (let d = 0; d < 10; d++) {
      expect(train.labels.slice(trainStart, trainStart + TRAIN[d]!).every((l) => l === d)).toBe(true);
      expect(heldOut.labels.slice(heldStart, heldStart + HELD[d]!).every((l) => l === d)).toBe(true);
      if (d === 3 || d === 8) {
        const raw = Float32Array.from((JSON.parse(readFileSync(join(dir, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] }).data);
        expect(raw.length).toBe(COUNTS[d]! * 784);
        for (const k of [0, 1, TRAIN[d]! - 1]) expect(key(train.images[trainStart + k]!)).toBe(key(raw.subarray(k * 784, (k + 1) * 784)));
        for (const k of [0, HELD[d]! - 1]) {
          const j = TRAIN[d]! + k;
          expect(key(heldOut.images[heldStart + k]!)).toBe(key(raw.subarray(j * 784, (j + 1) * 784)));
        }
      }
      trainStart += TRAIN[d]!;
      heldStart += HELD[d]!;
    }
  });

  it('is parsed once and cached', () => {
    const again = loadMnist();
    expect(again.train).toBe(train);
    expect(again.heldOut).toBe(heldOut);
  });
});
