/**
 * Messages between the page (web/main.ts) and the worker (web/worker.ts), and the build's
 * manifest.json. Plain data only: everything crosses postMessage by structured clone, with the
 * big typed arrays transferred.
 */

import type { RankedClass } from '../src/cam/classify.js';
import type { AppliesTo } from '../src/cam/methods/descriptor.js';
import type { ChannelSummary } from '../src/cam/result.js';
import type { FitMode } from './fit.js';

/** A method name as in camlab's `explain` (the worker lists the registry's in its hello). */
export type WebMethod = string;

/** A method the page offers: the registry's descriptor, as the worker announces it. */
export interface WebMethodInfo {
  name: string;
  label: string;
  /** Short citation of its paper. */
  paper: string;
  stochastic: boolean;
  /** The models it applies to (camlab's `AppliesTo`): the page offers it for those only. */
  appliesTo: AppliesTo;
}

/** The worker's first message: the methods (camlab's registry, in order) and the noise defaults. */
export interface Hello {
  type: 'hello';
  methods: WebMethodInfo[];
  defaults: { samples: number; noise: number };
}

export interface ManifestModel {
  name: string;
  available: boolean;
  /** 'onnx' for an ONNX file opened from disk (`weights` is its blob URL, `spec` its sidecar's, if any); absent for a bundled spec model. */
  format?: 'onnx';
  /** Why it is missing (when not available). */
  reason?: string;
  spec?: string;
  weights?: string;
  classes?: string[];
  input?: { channels: number; height: number; width: number };
  description?: string;
}

export interface ManifestImage {
  file: string;
  name: string;
  /** The bundled model that fits the picture. */
  model: string;
}

export interface Manifest {
  models: ManifestModel[];
  images: ManifestImage[];
  built: string;
}

export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
}

export interface RunOptions {
  /** 'predicted' or a class index. */
  target: 'predicted' | number;
  samples: number;
  noise: number;
  seed: number;
  /** Exact higher-order derivatives in every method that offers them (the `exact` option). */
  exact: boolean;
  /** Y whose derivatives the exact mode uses (gradcam++-exact is always exact, with Y = exp(S − S₀) unless exact mode is on). */
  exactOutput: 'exp' | 'softmax' | 'raw';
  colormap: 'jet' | 'viridis' | 'inferno' | 'gray';
  /** Overlay opacity of the heatmap. */
  alpha: number;
  /** Target layer by state-dict name (null: the default, the last 4-D layer). */
  layer: string | null;
}

/**
 * How the worker loads a model: a spec and its weights (the build's bundled models), or an ONNX
 * file and its optional sidecar, opened from disk by the page (blob: URLs; nothing leaves the browser).
 */
export type ModelRef =
  | { name: string; specUrl: string; weightsUrl: string }
  | { name: string; format: 'onnx'; onnxUrl: string; sidecar: { url: string; name: string } | null };

export interface RunRequest {
  type: 'run';
  id: number;
  model: ModelRef;
  image: Rgba;
  methods: WebMethod[];
  options: RunOptions;
}

/** Asks for a model's layers with 4-D outputs (the possible CAM target layers). */
export interface DescribeRequest {
  type: 'describe';
  model: ModelRef;
}

export type ToWorker = RunRequest | DescribeRequest;

export interface LayerChoice {
  /** What the run's `layer` option takes (a state-dict name, an ONNX tensor name or `name:grid`). */
  name: string;
  /** How people know it: an ONNX layer's module path (`layer4.1.relu_1`), when one selects it. */
  alias?: string;
  type: string;
  /** Output shape [1, K, h, w]. */
  shape: number[];
}

export interface Described {
  type: 'described';
  model: string;
  layers: LayerChoice[];
  defaultLayer: string;
  /** The model's class names and how a picture becomes its input (ONNX models tell these only once loaded). */
  classes: string[];
  input: { channels: number; height: number; width: number };
  recipe: string;
  /** The methods that apply to the model (camlab's `applicableMethods`: rollouts only for transformers), in registry order. */
  methods: WebMethod[];
}

export interface DescribeError {
  type: 'describe-error';
  model: string;
  message: string;
}

/** Per-channel terms of a CAM trace (camlab's `channelSummary`). */
export type ChannelRow = ChannelSummary;

/**
 * The Grad-CAM++ terms of image 0 for the term explorer, each [K, h, w] row-major: A, the first
 * three derivatives (g, g², g³; the exact ∂Y/∂A, ∂²Y/∂A², ∂³Y/∂A³; or the noise means D1, D2, D3) and α.
 */
export interface TermMaps {
  channels: number;
  height: number;
  width: number;
  A: Float64Array<ArrayBuffer>;
  d1: Float64Array<ArrayBuffer>;
  d2: Float64Array<ArrayBuffer>;
  d3: Float64Array<ArrayBuffer>;
  alpha: Float64Array<ArrayBuffer>;
}

export interface MethodOutput {
  method: WebMethod;
  /** Method label as the library reports it (e.g. 'gradcam++ (exact)'). */
  reported: string;
  ms: number;
  classIndex: number;
  flat: boolean;
  width: number;
  height: number;
  /** The upsampled, normalized map (row-major H×W float64); the page draws overlays from it. */
  map: Float64Array<ArrayBuffer>;
  /** Tags of the settings that shaped the map, for file names (`exact-softmax`, `n25-noise0.15-seed0`). */
  tags: string[];
  /** Per-channel terms of the trace (every CAM method; α only in the Grad-CAM++ family). */
  channels?: ChannelRow[];
  derivatives?: string;
  layer?: string;
  /** The Grad-CAM++ family's term maps (for the term explorer). */
  terms?: TermMaps;
  /** The earlier method of this run whose computation this is (exact mode + gradcam++-exact): computed once. */
  sameAs?: WebMethod;
}

/** A ranked class, as camlab's `topClasses` returns it. */
export type TopClass = RankedClass;

export interface Progress {
  type: 'progress';
  id: number;
  done: number;
  total: number;
  label: string;
}

/** Sent once the model ran on the image, before the methods. */
export interface Prepared {
  type: 'prepared';
  id: number;
  model: string;
  /** The model input shown as a picture (after resampling and normalization, inverted). */
  input: Rgba;
  top: TopClass[];
  classes: string[];
  /** Which kernels compute, on how many threads (and why one, if so). */
  engine: string;
}

/** One method's output, sent as soon as it is computed. */
export interface MethodDone {
  type: 'method';
  id: number;
  output: MethodOutput;
}

/** A method that failed (e.g. CAM at a layer not followed by global pooling + linear); the run goes on. */
export interface MethodFailed {
  type: 'method-error';
  id: number;
  method: WebMethod;
  message: string;
}

/** After the methods: one line per group of methods that gave the same map, with the reason. */
export interface Notes {
  type: 'notes';
  id: number;
  lines: string[];
}

export interface RunDone {
  type: 'done';
  id: number;
  totalMs: number;
}

export interface RunError {
  type: 'error';
  id: number;
  message: string;
}

export type FromWorker = Hello | Progress | Prepared | MethodDone | MethodFailed | Notes | RunDone | RunError | Described | DescribeError;

/** What the page exposes on `window.camlab` for automated checks (see web/main.ts). */
export interface PageState {
  manifest: Manifest | null;
  /** Every method of the registry (from the worker's hello), in order. */
  methods: string[];
  /** The methods offered for the selected model (those that apply to it), once the worker described it. */
  offered: string[] | null;
  picture: { caption: string; width: number; height: number; rgba: () => number[] } | null;
  run: {
    model: string;
    top: Prepared['top'] | null;
    outputs: Array<{ method: WebMethod; reported: string; classIndex: number; flat: boolean; width: number; height: number; map: number[]; channels?: ChannelRow[]; sameAs?: WebMethod }>;
    failures: Array<{ method: WebMethod; message: string }>;
    /** Why methods gave the same map (one line per group). */
    notes: string[];
    totalMs: number | null;
  } | null;
  /** How the overlays are drawn now, and how often they were redrawn from the kept maps (no new run). */
  drawn: { colormap: RunOptions['colormap']; alpha: number; redraws: number };
  /** The RGBA pixels of a method's overlay tile as drawn. */
  overlayPixels: (method: WebMethod) => number[] | null;
  /** The term explorer's channel and maps (plain arrays, [h·w] each), when one is open. */
  terms: { method: WebMethod; channel: number; labels: string[]; maps: number[][] } | null;
  /** How non-square pictures are fitted to the model's input. */
  fit: FitMode;
  /** Target layers of the selected model (after the worker described it). */
  layers: { model: string; names: string[]; defaultLayer: string } | null;
  error: string | null;
}

