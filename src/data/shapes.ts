import { fail } from '../tensor/errors.js';
import { fmix32, Rng } from '../tensor/rng.js';

/**
 * A seeded synthetic "shapes" dataset with exact ground truth, for training a small CNN and
 * scoring CAM maps against object masks.
 *
 * Each 64x64 RGB image (CHW, values in [0,1]) holds 1-3 non-overlapping, opaque, flat-coloured
 * instances of ONE class on a cluttered background (smooth colour gradient, soft distractor blobs,
 * thin lines, per-pixel noise). A pixel belongs to an instance iff its centre (x + 0.5, y + 0.5)
 * passes the shape's inside test; there is no anti-aliasing, so an instance's mask is exactly the
 * set of pixels it painted.
 *
 * Determinism: only the seeded `Rng` and the IEEE-exact operations `+ - * /`, `Math.sqrt`,
 * `Math.floor`/`Math.ceil`/`Math.min`/`Math.max` and 32-bit integer ops are used (no `Math.sin`,
 * `Math.cos`, `Math.exp`, whose last bits may differ between engines): rotations come from
 * rejection-sampled unit vectors or the rational tan-half-angle form, and blobs use a polynomial
 * bump instead of a Gaussian. The same seed therefore gives bit-identical images and masks in every
 * runtime.
 */

/** The class names; a sample's `label` indexes this list. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'cross'] as const;

/** One of {@link SHAPE_CLASSES}. */
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Image width and height in pixels. */
export const SHAPE_SIZE = 64;

/** The flat grey used for every background pixel when `clutter: false`. */
export const PLAIN_BACKGROUND = 0.5;

/** One object in a sample. */
export interface ShapeInstance {
  /** Binary HxW mask (row-major, 1 = pixel painted by this instance), exactly the painted pixels. */
  mask: Uint8Array;
  /** Tight bounding box of `mask`, inclusive-exclusive: columns x0..x1-1, rows y0..y1-1. */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** Shape centre [x, y] in pixel coordinates (pixel (row i, column j) has its centre at (j + 0.5, i + 0.5)). */
  center: [number, number];
  /** Circumradius in pixels: the shape lies inside the disk of this radius around `center`. */
  size: number;
  /** The instance's flat RGB colour, exactly as stored in the image (float32 values). */
  color: [number, number, number];
}

/** One generated image with its label and per-instance ground truth. */
export interface ShapeSample {
  /** CHW float32 image of 3*64*64 values in [0, 1]. */
  image: Float32Array;
  /** Class index into {@link SHAPE_CLASSES}. */
  label: number;
  /** `SHAPE_CLASSES[label]`. */
  className: string;
  /** The 1-3 instances, all of class `label`, pairwise disjoint. */
  instances: ShapeInstance[];
  width: 64;
  height: 64;
}

/** Options for {@link generateShape} and {@link shapesDataset}. */
export interface ShapeOptions {
  /** Class index (0-3); drawn uniformly when absent (cycled by {@link shapesDataset}). */
  label?: number;
  /** Number of instances; drawn uniformly from 1-3 when absent. */
  instances?: 1 | 2 | 3;
  /** Cluttered background (default true); `false` gives a flat {@link PLAIN_BACKGROUND} grey. */
  clutter?: boolean;
}

const W = SHAPE_SIZE;
const H = SHAPE_SIZE;
const N = W * H;

/** Smallest and largest circumradius of an instance. */
const MIN_SIZE = 6;
const MAX_SIZE = 12;
/** Free pixels between the extent disks of two instances, and between an extent disk and the border. */
const MARGIN = 2;
const BORDER = 1;
/** Minimum RGB distance between an object colour and the mean background under its extent. */
const MIN_CONTRAST = 0.45;
/** tan(7.5 deg): squares and crosses are rotated by at most +-15 degrees. */
const TAN_HALF_MAX_TILT = 0.13165249758739583;

interface Placement {
  cx: number;
  cy: number;
  r: number;
  /** Unit direction for the triangle's (uniform) rotation. */
  dirC: number;
  dirS: number;
  /** cos/sin of the small tilt for squares and crosses. */
  tiltC: number;
  tiltS: number;
}

/**
 * Generate one sample from one seed. The seed fixes everything; the options override the drawn
 * label / instance count without changing any other draw, so the same seed with a different
 * `label` gives the same layout, colours and background with another shape, and `clutter: false`
 * gives the same instances (same masks) on a flat grey background.
 */
export function generateShape(seed: number, opts: ShapeOptions = {}): ShapeSample {
  if (!Number.isSafeInteger(seed)) fail('generateShape', `seed must be a safe integer, got ${seed}`);
  const { label: optLabel, instances: optCount, clutter = true } = opts;
  if (optLabel !== undefined && !(Number.isInteger(optLabel) && optLabel >= 0 && optLabel < SHAPE_CLASSES.length)) {
    fail('generateShape', `label must be an integer in [0, ${SHAPE_CLASSES.length - 1}], got ${optLabel}`);
  }
  if (optCount !== undefined && optCount !== 1 && optCount !== 2 && optCount !== 3) {
    fail('generateShape', `instances must be 1, 2 or 3, got ${String(optCount)}`);
  }

  const rng = new Rng(seed);
  // Always draw every value and fork every stream in the same order, whatever the options.
  const drawnLabel = rng.int(SHAPE_CLASSES.length);
  const drawnCount = 1 + rng.int(3);
  const geomRng = rng.fork();
  const colorRng = rng.fork();
  const bgRng = rng.fork();

  const label = optLabel ?? drawnLabel;
  const count = optCount ?? drawnCount;
  const cls = SHAPE_CLASSES[label]!;

  const placements = placeInstances(geomRng, count);

  const image = new Float32Array(3 * N);
  if (clutter) drawBackground(bgRng, image);
  else image.fill(PLAIN_BACKGROUND);

  // Colours are chosen against the background before any object is painted.
  const colors = placements.map((p) => pickColor(colorRng, localMean(image, p)));

  const instances: ShapeInstance[] = placements.map((p, k) => {
    const color = colors[k]!;
    const { mask, box } = paint(image, cls, p, color);
    return { mask, box, center: [p.cx, p.cy], size: p.r, color };
  });

  return { image, label, className: cls, instances, width: 64, height: 64 };
}

/**
 * The seed of sample `index` of the dataset with seed `seed`: both integers are folded through
 * MurmurHash3's fmix32 finalizer, `a = fmix32(fmix32(fmix32(lo(seed) ^ K1) ^ hi(seed)) + index·φ)`
 * (mod 2^32, φ = 0x9e3779b9), `b = fmix32(a ^ K2)`, seed = (b >>> 11)·2^32 + a, a non-negative
 * safe integer. For a fixed seed, distinct indices in [0, 2^32) give distinct sample seeds
 * (index ↦ index·φ and fmix32 are bijections mod 2^32).
 */
export function shapeSeed(seed: number, index: number): number {
  if (!Number.isSafeInteger(seed)) fail('shapeSeed', `seed must be a safe integer, got ${seed}`);
  if (!(Number.isInteger(index) && index >= 0 && index <= 0xffffffff)) {
    fail('shapeSeed', `index must be an integer in [0, 2^32), got ${index}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) | 0;
  let x = fmix32((lo ^ 0x5bd1e995) >>> 0);
  x = fmix32((x ^ hi) >>> 0);
  const a = fmix32((x + Math.imul(index >>> 0, 0x9e3779b9)) >>> 0);
  const b = fmix32((a ^ 0x27d4eb2f) >>> 0);
  return (b >>> 11) * 4294967296 + a;
}

/**
 * Sample `index` of `shapesDataset(seed, ·, opts)`, regenerated alone: the image of seed
 * `shapeSeed(seed, index)` with label `opts.label ?? index % 4` (labels cycle, so every class has
 * count/4 samples, give or take one).
 */
export function shapeAt(seed: number, index: number, opts: ShapeOptions = {}): ShapeSample {
  return generateShape(shapeSeed(seed, index), { ...opts, label: opts.label ?? index % SHAPE_CLASSES.length });
}

/** `count` samples; sample i equals `shapeAt(seed, i, opts)`, so any index can be regenerated alone. */
export function shapesDataset(seed: number, count: number, opts: ShapeOptions = {}): ShapeSample[] {
  if (!(Number.isInteger(count) && count >= 0)) fail('shapesDataset', `count must be a non-negative integer, got ${count}`);
  const out: ShapeSample[] = new Array<ShapeSample>(count);
  for (let i = 0; i < count; i++) out[i] = shapeAt(seed, i, opts);
  return out;
}

/** The union of a sample's instance masks (1 where any instance painted). */
export function unionMask(sample: ShapeSample): Uint8Array {
  const u = new Uint8Array(sample.width * sample.height);
  for (const inst of sample.instances) {
    const m = inst.mask;
    for (let i = 0; i < u.length; i++) if (m[i] === 1) u[i] = 1;
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// Layout

/**
 * Rejection-sample `count` extent disks (radius in [MIN_SIZE, MAX_SIZE], fully inside the image
 * with BORDER px to spare, pairwise MARGIN px apart). After 64 failed tries for one instance the
 * layout restarts with the largest radius lowered by one pixel; a fixed grid layout ends the search
 * in the (practically unreachable) worst case. Every draw comes from `rng`, so it is deterministic.
 */
function placeInstances(rng: Rng, count: number): Placement[] {
  for (let maxR = MAX_SIZE; maxR >= MIN_SIZE; maxR--) {
    const placed: Placement[] = [];
    let tries = 0;
    while (placed.length < count && tries < 64) {
      const p = drawPlacement(rng, maxR);
      tries++;
      if (placed.every((q) => apart(p, q))) {
        placed.push(p);
        tries = 0;
      }
    }
    if (placed.length === count) return placed;
  }
  const grid: [number, number][] = [[16, 16], [48, 16], [32, 48]];
  return grid.slice(0, count).map(([cx, cy]) => ({ ...drawPlacement(rng, MIN_SIZE), cx, cy }));
}

function drawPlacement(rng: Rng, maxR: number): Placement {
  const r = MIN_SIZE + (maxR - MIN_SIZE) * rng.uniform();
  const lo = r + BORDER;
  const span = W - 2 * lo;
  const cx = lo + span * rng.uniform();
  const cy = lo + (H - 2 * lo) * rng.uniform();
  const [dirC, dirS] = unitVector(rng);
  // Small tilt via tan(theta/2) = t: cos = (1-t^2)/(1+t^2), sin = 2t/(1+t^2).
  const t = (2 * rng.uniform() - 1) * TAN_HALF_MAX_TILT;
  const d = 1 + t * t;
  return { cx, cy, r, dirC, dirS, tiltC: (1 - t * t) / d, tiltS: (2 * t) / d };
}

function apart(p: Placement, q: Placement): boolean {
  const dx = p.cx - q.cx;
  const dy = p.cy - q.cy;
  const min = p.r + q.r + MARGIN;
  return dx * dx + dy * dy >= min * min;
}

// ---------------------------------------------------------------------------------------------
// Shapes

const SQRT1_2 = Math.SQRT1_2;
/** A cross with arm half-length L and bar half-thickness L/3 has circumradius L·√10/3. */
const CROSS_ARM = 3 / Math.sqrt(10);
const SQRT3 = Math.sqrt(3);

/** The pixels (inclusive column range xa..xb, row range ya..yb) of the extent disk's bounding square, clipped to the image. */
function extentSquare(p: Placement): { xa: number; xb: number; ya: number; yb: number } {
  return {
    xa: Math.max(0, Math.floor(p.cx - p.r)),
    xb: Math.min(W - 1, Math.ceil(p.cx + p.r)),
    ya: Math.max(0, Math.floor(p.cy - p.r)),
    yb: Math.min(H - 1, Math.ceil(p.cy + p.r)),
  };
}

/** Rasterize one instance (pixel centre inside test), paint it and return its mask and box. */
function paint(
  image: Float32Array,
  cls: ShapeClass,
  p: Placement,
  color: [number, number, number],
): { mask: Uint8Array; box: ShapeInstance['box'] } {
  const mask = new Uint8Array(N);
  const { cx, cy } = p;
  const { xa, xb, ya, yb } = extentSquare(p);
  const inside = insideTest(cls, p);
  let x0 = W;
  let y0 = H;
  let x1 = 0;
  let y1 = 0;
  const [cr, cg, cb] = color;
  for (let y = ya; y <= yb; y++) {
    const dy = y + 0.5 - cy;
    for (let x = xa; x <= xb; x++) {
      if (!inside(x + 0.5 - cx, dy)) continue;
      const i = y * W + x;
      mask[i] = 1;
      image[i] = cr;
      image[N + i] = cg;
      image[2 * N + i] = cb;
      if (x < x0) x0 = x;
      if (x + 1 > x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y + 1 > y1) y1 = y + 1;
    }
  }
  return { mask, box: { x0, y0, x1, y1 } };
}

/** The inside test of a shape in coordinates relative to its centre (y pointing down). */
function insideTest(cls: ShapeClass, p: Placement): (dx: number, dy: number) => boolean {
  const r = p.r;
  switch (cls) {
    case 'circle': {
      const r2 = r * r;
      return (dx, dy) => dx * dx + dy * dy <= r2;
    }
    case 'square': {
      const h = r * SQRT1_2;
      const c = p.tiltC;
      const s = p.tiltS;
      return (dx, dy) => {
        const u = c * dx + s * dy;
        const v = -s * dx + c * dy;
        return Math.abs(u) <= h && Math.abs(v) <= h;
      };
    }
    case 'cross': {
      const arm = r * CROSS_ARM;
      const bar = arm / 3;
      const c = p.tiltC;
      const s = p.tiltS;
      return (dx, dy) => {
        const u = Math.abs(c * dx + s * dy);
        const v = Math.abs(-s * dx + c * dy);
        return (u <= arm && v <= bar) || (u <= bar && v <= arm);
      };
    }
    case 'triangle': {
      // Equilateral, circumradius r; vertex k at direction d rotated by k·120°.
      const c = p.dirC;
      const s = p.dirS;
      const c120 = -0.5;
      const s120 = SQRT3 / 2;
      const ax = r * c;
      const ay = r * s;
      const bx = r * (c * c120 - s * s120);
      const by = r * (s * c120 + c * s120);
      const ex = r * (c * c120 + s * s120);
      const ey = r * (s * c120 - c * s120);
      // Counter-clockwise (in x-right / y-down math orientation the sign is consistent): inside iff
      // all three edge functions have the same sign as the triangle's orientation.
      const orient = (bx - ax) * (ey - ay) - (by - ay) * (ex - ax) > 0 ? 1 : -1;
      return (dx, dy) =>
        orient * ((bx - ax) * (dy - ay) - (by - ay) * (dx - ax)) >= 0 &&
        orient * ((ex - bx) * (dy - by) - (ey - by) * (dx - bx)) >= 0 &&
        orient * ((ax - ex) * (dy - ey) - (ay - ey) * (dx - ex)) >= 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Colours and background

/** Mean background colour over the pixels of the instance's extent disk's bounding square. */
function localMean(image: Float32Array, p: Placement): [number, number, number] {
  const { xa, xb, ya, yb } = extentSquare(p);
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const i = y * W + x;
      r += image[i]!;
      g += image[N + i]!;
      b += image[2 * N + i]!;
      n++;
    }
  }
  return [r / n, g / n, b / n];
}

/**
 * A random colour at least MIN_CONTRAST (Euclidean RGB) from `bg`: up to 32 uniform draws, then
 * the RGB cube corner farthest from `bg` (distance >= √3/2). Values are rounded to float32 so the
 * returned colour equals the stored pixels exactly.
 */
function pickColor(rng: Rng, bg: [number, number, number]): [number, number, number] {
  const [br, bg_, bb] = bg;
  for (let k = 0; k < 32; k++) {
    const r = Math.fround(rng.uniform());
    const g = Math.fround(rng.uniform());
    const b = Math.fround(rng.uniform());
    const d2 = (r - br) * (r - br) + (g - bg_) * (g - bg_) + (b - bb) * (b - bb);
    if (d2 >= MIN_CONTRAST * MIN_CONTRAST) return [r, g, b];
  }
  return [br < 0.5 ? 1 : 0, bg_ < 0.5 ? 1 : 0, bb < 0.5 ? 1 : 0];
}

function randomColor(rng: Rng, lo = 0, hi = 1): [number, number, number] {
  return [lo + (hi - lo) * rng.uniform(), lo + (hi - lo) * rng.uniform(), lo + (hi - lo) * rng.uniform()];
}

/**
 * Cluttered background into `image`: a bilinear gradient between four random corner colours,
 * 1-3 soft distractor blobs (each the clamped sum of 2-3 anisotropic polynomial bumps
 * (1 - q/9)^3, q the squared Mahalanobis distance, blended with opacity 0.45-0.85), 2-4 thin
 * straight lines (half-width 0.4-0.8 px, soft edges), then per-pixel triangular noise of
 * amplitude 0.03-0.08 per channel, clamped to [0, 1].
 */
function drawBackground(rng: Rng, image: Float32Array): void {
  const buf = new Float64Array(3 * N);
  // Gradient.
  const c00 = randomColor(rng, 0.1, 0.9);
  const c10 = randomColor(rng, 0.1, 0.9);
  const c01 = randomColor(rng, 0.1, 0.9);
  const c11 = randomColor(rng, 0.1, 0.9);
  for (let ch = 0; ch < 3; ch++) {
    const a = c00[ch]!;
    const b = c10[ch]!;
    const c = c01[ch]!;
    const d = c11[ch]!;
    const off = ch * N;
    for (let y = 0; y < H; y++) {
      const ty = (y + 0.5) / H;
      const left = a + (c - a) * ty;
      const right = b + (d - b) * ty;
      const row = off + y * W;
      for (let x = 0; x < W; x++) buf[row + x] = left + (right - left) * ((x + 0.5) / W);
    }
  }

  // Distractor blobs.
  const nBlobs = 1 + rng.int(3);
  const weight = new Float64Array(N);
  for (let k = 0; k < nBlobs; k++) {
    const color = randomColor(rng);
    const opacity = 0.45 + 0.4 * rng.uniform();
    const bx = 4 + (W - 8) * rng.uniform();
    const by = 4 + (H - 8) * rng.uniform();
    const nComp = 2 + rng.int(2);
    weight.fill(0);
    for (let j = 0; j < nComp; j++) {
      const px = bx + 3.5 * rng.normal();
      const py = by + 3.5 * rng.normal();
      const sa = 2 + 4 * rng.uniform();
      const sb = sa * (0.25 + 0.35 * rng.uniform());
      const [dc, ds] = unitVector(rng);
      const reach = 3 * sa;
      const xa = Math.max(0, Math.floor(px - reach));
      const xb = Math.min(W - 1, Math.ceil(px + reach));
      const ya = Math.max(0, Math.floor(py - reach));
      const yb = Math.min(H - 1, Math.ceil(py + reach));
      const ia = 1 / (sa * sa);
      const ib = 1 / (sb * sb);
      for (let y = ya; y <= yb; y++) {
        const dy = y + 0.5 - py;
        for (let x = xa; x <= xb; x++) {
          const dx = x + 0.5 - px;
          const u = dc * dx + ds * dy;
          const v = -ds * dx + dc * dy;
          const q = u * u * ia + v * v * ib;
          if (q >= 9) continue;
          const f = 1 - q / 9;
          const i = y * W + x;
          weight[i] = weight[i]! + f * f * f;
        }
      }
    }
    blend(buf, weight, color, opacity);
  }

  // Thin lines: through a random point with a random direction, across the whole image.
  const nLines = 2 + rng.int(3);
  for (let k = 0; k < nLines; k++) {
    const color = randomColor(rng);
    const opacity = 0.5 + 0.5 * rng.uniform();
    const hw = 0.4 + 0.4 * rng.uniform();
    const px = W * rng.uniform();
    const py = H * rng.uniform();
    const [dc, ds] = unitVector(rng);
    for (let y = 0; y < H; y++) {
      const dy = y + 0.5 - py;
      for (let x = 0; x < W; x++) {
        const dist = Math.abs(-ds * (x + 0.5 - px) + dc * dy);
        const cover = hw + 0.5 - dist;
        weight[y * W + x] = cover <= 0 ? 0 : cover >= 1 ? 1 : cover;
      }
    }
    blend(buf, weight, color, opacity);
  }

  // Per-pixel noise: the two 16-bit halves of one random word give a triangular variate in (-1, 1).
  const amp = 0.03 + 0.05 * rng.uniform();
  const scale = amp / 65536;
  for (let i = 0; i < 3 * N; i++) {
    const w = rng.nextUint32();
    const v = buf[i]! + ((w & 0xffff) + (w >>> 16) - 65535) * scale;
    image[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** buf = buf·(1-a) + color·a with a = opacity·min(1, weight), per pixel. */
function blend(buf: Float64Array, weight: Float64Array, color: [number, number, number], opacity: number): void {
  for (let i = 0; i < N; i++) {
    const w = weight[i]!;
    if (w <= 0) continue;
    const a = opacity * (w >= 1 ? 1 : w);
    for (let ch = 0; ch < 3; ch++) {
      const j = ch * N + i;
      buf[j] = buf[j]! + (color[ch]! - buf[j]!) * a;
    }
  }
}

/** A uniform direction: a point uniform in the unit disk (rejection sampling), normalized. */
function unitVector(rng: Rng): [number, number] {
  for (;;) {
    const u = 2 * rng.uniform() - 1;
    const v = 2 * rng.uniform() - 1;
    const s = u * u + v * v;
    if (s < 1 && s > 1e-6) {
      const n = Math.sqrt(s);
      return [u / n, v / n];
    }
  }
}
