import type { Module } from '../nn/module.js';
import type { InputSpec } from '../nn/spec.js';
import type { OnnxModel } from '../onnx/model.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { imageToInput } from './image.js';
import type { LoadedModel } from './model.js';
import { describePreprocessing, IMAGENET_PREPROCESSING, preprocess, preprocessedSize, type OnnxSidecar, type Preprocessing } from './preprocess.js';
import type { RgbaImage } from './rgba.js';

/**
 * A classifier ready to explain, whatever its format (a camlab model spec or an ONNX graph): the
 * module, its class names, and how a picture becomes its input. The CLI and the web page work
 * with this, so `--model m.onnx` and `--model shapes-cnn` take the same path.
 */
export interface Classifier {
  /** Shown in reports: the spec's name or the ONNX file's name. */
  name: string;
  description: string;
  module: Module;
  /** Class names by output index (the index itself, as a string, when the model names none). */
  classes: readonly string[];
  /** The input [C, H, W] and its normalization (to show an input as a picture; what evaluate() feeds). */
  input: InputSpec;
  /** A picture → the model's input [1, C, H, W] (float64; the model casts to its dtype). */
  toInput(img: RgbaImage): Tensor;
  /** How a picture becomes the input, in words, and where that recipe comes from. */
  recipe: string;
  /** A layer name as people read it (ONNX: the module path, then the tensor name). */
  layerLabel(layer: string): string;
}

/** A model spec with its weights as a {@link Classifier}: pictures are area-resampled to the spec's input (imageToInput). */
export function specClassifier({ spec, module }: LoadedModel): Classifier {
  const i = spec.input;
  const norm = i.mean === undefined ? '' : `, mean ${i.mean.join(',')}, std ${(i.std ?? []).join(',')}`;
  return {
    name: spec.name, description: spec.description ?? '', module, classes: spec.classes, input: i,
    toInput: (img) => imageToInput(img, i),
    recipe: `area-average resample to ${i.width}x${i.height}${norm} (model spec)`,
    layerLabel: (l) => l,
  };
}

/**
 * The preprocessing an ONNX model gets without a sidecar: torchvision's ImageNet recipe (resize
 * 256, centre crop 224, ImageNet mean and std) for 224×224 inputs and inputs of any size; for
 * another fixed size H×W, resize the shorter side to max(H, W) and centre-crop H×W, with
 * ImageNet's statistics. A 1-channel model has no default mean and std (they are left empty).
 */
export function onnxDefaults(model: OnnxModel): Preprocessing {
  const [, c, h, w] = model.inputShape;
  const channels = c === 1 ? 1 : 3;
  const stats = channels === 3 ? { mean: IMAGENET_PREPROCESSING.mean, std: IMAGENET_PREPROCESSING.std } : { mean: [], std: [] };
  if (h === null || w === null || h === undefined || w === undefined || (h === 224 && w === 224)) return { ...IMAGENET_PREPROCESSING, ...stats, channels };
  return { size: Math.max(h, w), crop: [h, w], ...stats, channels };
}

/** What the caller may set over the sidecar's (or the default) recipe and labels, e.g. from command-line flags. */
export interface OnnxOverrides {
  size?: Preprocessing['size'];
  crop?: Preprocessing['crop'];
  mean?: readonly number[];
  std?: readonly number[];
  labels?: readonly string[];
}

export interface OnnxClassifierOptions {
  /** Shown in reports (default 'onnx model'). */
  name?: string;
  /** The parsed sidecar (parseOnnxSidecar with {@link onnxDefaults}), or null. */
  sidecar?: OnnxSidecar | null;
  /** Where the sidecar came from, for messages and the recipe line (e.g. its path). */
  sidecarSource?: string;
  overrides?: OnnxOverrides;
}

/**
 * An ONNX model as a {@link Classifier}: the recipe of its sidecar (else {@link onnxDefaults}),
 * with any overrides applied, checked against the model's declared input (channels, and the size
 * when the recipe fixes it) and its output [1, classes] (the labels must name every class).
 * Each mismatch fails in one line naming where the value came from.
 */
export function onnxClassifier(model: OnnxModel, opts: OnnxClassifierOptions = {}): Classifier {
  const name = opts.name ?? 'onnx model';
  const sidecar = opts.sidecar ?? null;
  const o = opts.overrides ?? {};
  const from = sidecar === null ? 'defaults: no sidecar' : `sidecar ${opts.sidecarSource ?? ''}`.trim();
  const p: Preprocessing = {
    ...(sidecar ?? onnxDefaults(model)),
    ...(o.size !== undefined ? { size: o.size } : {}),
    ...(o.crop !== undefined ? { crop: o.crop } : {}),
    ...(o.mean !== undefined ? { mean: o.mean } : {}),
    ...(o.std !== undefined ? { std: o.std } : {}),
  };
  const [, c, h, w] = model.inputShape;
  if (c !== null && c !== undefined && c !== 1 && c !== 3) fail('model', `${name} takes ${c}-channel input; camlab makes pictures into 1 (grey) or 3 (RGB) channels`);
  if (c !== null && c !== undefined && c !== p.channels) fail('model', `${name} takes ${c}-channel input but its ${from} says ${p.channels} channels`);
  if (p.mean.length !== p.channels || p.std.length !== p.channels) {
    fail('model', `${name} takes ${p.channels}-channel input: give ${p.channels} mean and std values (a sidecar ${name}.json, or --mean and --std), got ${p.mean.length} and ${p.std.length}`);
  }
  const out = preprocessedSize(p);
  if (out !== null && h !== null && w !== null && h !== undefined && w !== undefined && (out[0] !== h || out[1] !== w)) {
    fail('model', `${name} takes ${p.channels}x${h}x${w} input but the preprocessing (${from}${Object.keys(o).some((k) => k !== 'labels') ? ' and the options given' : ''}) makes ${p.channels}x${out[0]}x${out[1]}`);
  }
  const shape = model.outputShape;
  if (shape.length !== 2 || shape[0] !== 1) fail('model', `${name} outputs ${shapeStr(shape)} for one image; a classifier outputs [1, classes]`);
  const k = shape[1]!;
  const labels = o.labels ?? sidecar?.labels ?? null;
  if (labels !== null && labels.length !== k) {
    fail('model', `${name} outputs ${k} class scores but its labels (${o.labels !== undefined ? 'the labels given' : from}) name ${labels.length} classes`);
  }
  const planned = model.plannedInput;
  const [height, width] = out ?? [h ?? planned[1]!, w ?? planned[2]!];
  return {
    name, description: model.describe(), module: model,
    classes: labels ?? Array.from({ length: k }, (_, i) => String(i)),
    input: { channels: p.channels, height, width, mean: [...p.mean], std: [...p.std] },
    toInput: (img) => preprocess(img, p),
    recipe: `${describePreprocessing(p)} (${from}${Object.keys(o).length > 0 ? `; set here: ${Object.keys(o).join(', ')}` : ''})`,
    layerLabel: (l) => model.layerLabel(l),
  };
}
