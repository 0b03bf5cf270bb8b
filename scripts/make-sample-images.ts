/**
 * Writes the bundled sample images examples/images/*.png: shapes from the held-out seed (never
 * used for training) with 1, 2 and 3 instances, and held-out MNIST digits.
 * Run: npx tsx scripts/make-sample-images.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHAPE_CLASSES, generateShape, shapeSeed } from '../src/data/shapes.js';
import { SHAPES_HELD_OUT_SEED } from '../src/data/datasets.js';
import { loadMnist } from '../src/data/mnist.js';
import { encodePng } from '../src/io/png.js';

const dir = join('examples', 'images');
mkdirSync(dir, { recursive: true });

function rgba(planes: ArrayLike<number>, channels: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) out[4 * i + k] = Math.round(255 * planes[(channels === 1 ? 0 : k) * w * h + i]!);
    out[4 * i + 3] = 255;
  }
  return out;
}

const picks: Array<[number, 1 | 2 | 3]> = [[0, 1], [1, 2], [2, 3], [3, 2], [0, 3], [2, 1]];
picks.forEach(([label, instances], i) => {
  const s = generateShape(shapeSeed(SHAPES_HELD_OUT_SEED + 1, i), { label, instances });
  const file = join(dir, `shapes-${SHAPE_CLASSES[label]}-x${instances}.png`);
  writeFileSync(file, encodePng({ width: 64, height: 64, data: rgba(s.image, 3, 64, 64) }));
  console.log(file);
});

const { heldOut } = loadMnist();
for (const digit of [2, 3, 7, 9]) {
  const idx = heldOut.labels.indexOf(digit) + 5;
  const file = join(dir, `mnist-${digit}.png`);
  writeFileSync(file, encodePng({ width: 28, height: 28, data: rgba(heldOut.images[idx]!, 1, 28, 28) }));
  console.log(file);
}
