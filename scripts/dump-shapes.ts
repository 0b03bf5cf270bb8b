/**
 * Writes camlab's shapes training images (as `camlab train --data shapes --seed 0` draws them,
 * epoch by epoch) and held-out images to raw files, for scripts/vit-recipe-search.py:
 *   npx tsx scripts/dump-shapes.ts [EPOCHS (default 6)] [OUT (default out/shapes-dump)]
 * train_x.u8 [N,3,64,64] uint8 (pixels rounded to 1/255), train_y.u8 labels; held_x.f32 [2000,3,64,64]
 * float32, held_y.u8 labels, held_n.u8 instance counts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shapesTrainSet, SHAPES_HELD_OUT_SEED } from '../src/data/datasets.js';
import { shapeAt } from '../src/data/shapes.js';

const epochs = Number(process.argv[2] ?? 6);
const out = process.argv[3] ?? join('out', 'shapes-dump');
mkdirSync(out, { recursive: true });
const per = 8000;
const size = 3 * 64 * 64;
const train = shapesTrainSet(0, per);
const x = new Uint8Array(epochs * per * size);
const y = new Uint8Array(epochs * per);
for (let e = 0; e < epochs; e++) {
  for (let i = 0; i < per; i++) {
    const s = train.get(i, e);
    const k = e * per + i;
    for (let j = 0; j < size; j++) x[k * size + j] = Math.round(s.x[j]! * 255);
    y[k] = s.label;
  }
}
writeFileSync(join(out, 'train_x.u8'), x);
writeFileSync(join(out, 'train_y.u8'), y);
const held = 2000;
const hx = new Float32Array(held * size);
const hy = new Uint8Array(held);
const hn = new Uint8Array(held);
for (let i = 0; i < held; i++) {
  const s = shapeAt(SHAPES_HELD_OUT_SEED, i);
  hx.set(s.image, i * size);
  hy[i] = s.label;
  hn[i] = s.instances.length;
}
writeFileSync(join(out, 'held_x.f32'), hx);
writeFileSync(join(out, 'held_y.u8'), hy);
writeFileSync(join(out, 'held_n.u8'), hn);
console.log(`wrote ${epochs * per} training and ${held} held-out images to ${out}`);
