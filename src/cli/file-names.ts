/**
 * Output file names that say what a map is, so runs with different settings never overwrite
 * each other (the README's "File names"):
 *
 *   IMAGE_METHOD[-VARIANT…]_CLASS_LAYER_heatmap.png / _overlay.png
 *   IMAGE_grid_METHOD[-VARIANT…]+METHOD…_CLASS_LAYER.png
 *
 * e.g. `cat_gradcam++-torchcam-exact-softmax_tabby_layer4.1_overlay.png`,
 * `cat_smooth-gradcam++-n25-noise0.15-seed0_tabby_layer4.1_overlay.png`. Fields are separated by
 * `_`; inside a field anything but letters, digits, `.`, `+` and `-` becomes `-`, so class names
 * with spaces or slashes stay one file name, and a field keeps at most 64 characters. A grid of
 * many methods is named `N-methods-HASH` (the hash of the list) instead of the list.
 */

import { exactOutputOf } from '../cam/computation.js';
import { methodOptions, type ExplainOptions, type RegisteredMethod } from '../cam/methods.js';
import { DEFAULT_NOISE_LEVEL, DEFAULT_NOISE_SAMPLES } from '../cam/noise.js';
import type { Module } from '../nn/module.js';
import { GRID_SUFFIX, OnnxModel } from '../onnx/model.js';

/** One field of a file name: letters, digits, '.', '+', '-' kept, runs of anything else become '-'. */
export function namePart(s: string): string {
  const t = s.replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^[.-]+|-+$/g, '').slice(0, MAX_PART);
  return t === '' ? 'x' : t;
}

/** Longest field (file names stay well under the usual 255-byte limit). */
const MAX_PART = 64;
/** Longest list of methods spelled out in a grid's name; a longer one is `N-methods-HASH`. */
const MAX_METHODS = 100;

/** FNV-1a of a string as 8 hex digits: a short stand-in for a long list that still differs when the list does. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The settings that change a method's map, as name tags (empty for the defaults that have no choice). */
export interface MapSettings {
  /** A preset other than the default. */
  preset?: string;
  /** Y of exact derivatives when the method ran in exact mode. */
  exact?: 'exp' | 'softmax' | 'raw';
  /** Noise of a stochastic method: samples, level, seed. */
  noise?: { samples: number; level: number; seed: number };
}

/** `torchcam`, `exact-softmax`, `n25-noise0.15-seed0`: the tags of a method's settings, in that order. */
export function settingTags(s: MapSettings, methodIsExact = false): string[] {
  const tags: string[] = [];
  if (s.preset !== undefined) tags.push(s.preset);
  // Y = exp(S − S₀) is the default: `gradcam++ --exact` and `gradcam++-exact` are both gradcam++-exact.
  if (s.exact !== undefined) tags.push([methodIsExact ? '' : 'exact', s.exact === 'exp' ? '' : s.exact].filter((t) => t !== '').join('-'));
  if (s.noise !== undefined) tags.push(`n${s.noise.samples}-noise${s.noise.level}-seed${s.noise.seed}`);
  return tags.filter((t) => t !== '').map(namePart);
}

/** The setting tags of a method's map, from the options it accepts (its variant's own defaults untagged). */
export function mapTags(d: RegisteredMethod, opts: ExplainOptions): string[] {
  const s: MapSettings = {};
  const own = methodOptions(d, opts);
  if (own.preset !== undefined) s.preset = own.preset;
  const exact = exactOutputOf(d.name, opts);
  if (exact !== undefined) s.exact = exact;
  if (d.stochastic) s.noise = { samples: own.samples ?? DEFAULT_NOISE_SAMPLES, level: own.noise ?? DEFAULT_NOISE_LEVEL, seed: own.seed ?? 0 };
  return settingTags(s, d.variantOf?.defaults.exact !== undefined);
}

/** What a map file holds: the picture, the method with its setting tags, the explained class and the layer ('input' for saliency). */
export interface MapName {
  image: string;
  method: string;
  tags: readonly string[];
  className: string;
  layer: string;
}

export function mapFileName(m: MapName, kind: 'heatmap' | 'overlay'): string {
  return `${namePart(m.image)}_${[m.method, ...m.tags].map(namePart).join('-')}_${namePart(m.className)}_${namePart(m.layer)}_${kind}.png`;
}

/** The comparison grid of one picture: the methods shown (each with its setting tags), the class and the layer. */
export function gridFileName(image: string, methods: ReadonlyArray<{ method: string; tags: readonly string[] }>, className: string, layer: string): string {
  const list = methods.map((m) => [m.method, ...m.tags].map(namePart).join('-')).join('+');
  const shown = list.length <= MAX_METHODS ? list : `${methods.length}-methods-${shortHash(list)}`;
  return [namePart(image), 'grid', shown, namePart(className), namePart(layer)].join('_') + '.png';
}

/** The class field of a file name: the class's name, `classN` without one, `custom` for a custom target. */
export function classFileName(classes: readonly string[], index: number): string {
  return index < 0 ? 'custom' : classes[index] ?? `class${index}`;
}

/** The layer field: the state-dict name, or for an imported graph the module path people know (layer4.1) rather than its tensor name. */
export function layerFileName(model: Module, layer: string): string {
  if (!(model instanceof OnnxModel)) return layer;
  const base = layer.endsWith(GRID_SUFFIX) ? layer.slice(0, -GRID_SUFFIX.length) : layer;
  return model.aliasesOf(base).at(-1) ?? layer;
}
