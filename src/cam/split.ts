import { detach, requiresGrad } from '../autodiff/node.js';
import { isGraphModel } from '../nn/graph-model.js';
import { Module, type ForwardHook } from '../nn/module.js';
import { infer, withEval } from '../nn/infer.js';
import { Sequential } from '../nn/layers.js';
import { GRID_SUFFIX } from '../nn/token-grid.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Inference helpers live in nn; re-exported here for `camlab/cam` users. */
export { infer, withEval } from '../nn/infer.js';

/** One named module's output seen during a probe forward pass, in completion order. */
export interface LayerInfo {
  name: string;
  type: string;
  shape: number[];
  calls: number;
  /** A possible CAM layer: a feature map [N, C, H, W] larger than 1×1 (not, e.g., attention probabilities). */
  camLayer: boolean;
}

/** Runs one forward pass (no graph) and records every named submodule's output shape and call count. */
export function probeLayers(model: Module, x: Tensor): LayerInfo[] {
  return probe(model, x).layers.map(({ out: _out, ...info }) => info);
}

type Probed = LayerInfo & { out: Tensor };

/**
 * One forward pass recording every named submodule's first output, call count, and the model
 * output. A tensor that a layer with `featureMap` false output (attention probabilities) is no
 * feature map in any layer that passes it on unchanged either (the attention's dropout in eval mode).
 */
function probe(model: Module, x: Tensor): { layers: Probed[]; output: Tensor } {
  const seen = new Map<string, Probed>();
  const notMaps = new Set<Tensor>();
  const output = hookedForward(model, x, model.namedModules().filter(([n]) => n !== '').map(([name, m]) => [m, (out) => {
    if (!m.featureMap) notMaps.add(out);
    const prev = seen.get(name);
    if (prev !== undefined) prev.calls++;
    else seen.set(name, { name, type: m.kind, shape: [...out.shape], calls: 1, camLayer: false, out });
  }] as const));
  const layers = [...seen.values()];
  for (const l of layers) l.camLayer = !notMaps.has(l.out) && l.out.ndim === 4 && l.out.shape[2]! * l.out.shape[3]! > 1;
  return { layers, output };
}

/** The model's output for x (eval mode, no graph), with forward hooks attached for that pass only. */
function hookedForward(model: Module, x: Tensor, hooks: ReadonlyArray<readonly [Module, ForwardHook]>): Tensor {
  const handles = hooks.map(([m, hook]) => m.registerForwardHook(hook));
  try {
    return infer(model, x);
  } finally {
    for (const h of handles) h.remove();
  }
}

/**
 * The default target layer: the last module whose output is a 4-D feature map with more than one
 * spatial position (a 1x1 global-pooling output is not a map, attention probabilities are not
 * feature maps; for a ViT it is the last block's ln_1 token grid). Several modules
 * can return that same tensor (a container, its last block, the block's final relu); the
 * shallowest one that is not a Sequential and runs once is chosen (`layer4.1`, not `layer4` or
 * `layer4.1.relu`), the usual choice in pytorch-grad-cam.
 */
export function defaultLayer(model: Module, x: Tensor): string {
  return pickDefault(model, probe(model, x).layers).name;
}

function pickDefault(model: Module, layers: readonly Probed[]): Probed {
  const fourD = layers.filter((i) => i.camLayer);
  const last = fourD[fourD.length - 1];
  if (last === undefined) fail('cam', 'the model has no feature map (a layer with a 4-D [N,C,H,W] output larger than 1x1) to explain');
  const same = fourD.filter((i) => i.out === last.out);
  const ok = same.filter((i) => !(model.get(i.name) instanceof Sequential) && i.calls === 1);
  const pool = ok.length > 0 ? ok : [last];
  pool.sort((a, b) => a.name.split('.').length - b.name.split('.').length);
  return pool[0]!;
}

/**
 * The network cut at a layer: its activation A for the input, the model output, and `head`, the
 * rest of the network as a differentiable function of A. A may carry more images than the input
 * (a batch of copies): everything after the layer broadcasts over the batch.
 */
export interface Split {
  layer: string;
  activation: Tensor;
  output: Tensor;
  head: (a: Tensor) => Tensor;
}

/**
 * The module a CAM at `layer` hooks: the layer itself, or its feature-map view `layer:grid` when it
 * is a token layer with one (a transformer's class token dropped and its patches put on the
 * grid, built in); a graph model (ONNX) answers itself.
 */
export function cutLayer(model: Module, layer: string): string {
  if (isGraphModel(model)) return model.camLayer(layer);
  if (layer.endsWith(GRID_SUFFIX)) return layer;
  const view = layer + GRID_SUFFIX;
  return model.namedModules().some(([n]) => n === view) ? view : layer;
}

/**
 * Cuts the network at `layer` (default: `defaultLayer`'s choice; a token layer at its `:grid`
 * view, {@link cutLayer}) with one forward pass: without a layer the pass that finds the default
 * also captures its activation.
 */
export function splitAt(model: Module, x: Tensor, layer?: string): Split {
  if (x.ndim !== 4) fail('cam', `input must be a batch of images [N,C,H,W], got ${shapeStr(x.shape)}`);
  if (layer === undefined) {
    const { layers, output } = probe(model, x);
    const chosen = pickDefault(model, layers);
    return finishSplit(model, x, chosen.name, chosen.out, chosen.calls, output);
  }
  let activation: Tensor | null = null;
  let calls = 0;
  // Outputs of layers that are no feature map (attention probabilities), to refuse a layer that
  // passes one on unchanged (the attention's dropout in eval mode), as probe() does.
  const notMaps = new Map<Tensor, string>();
  const cut = model.get(cutLayer(model, layer));
  const watchers = model.namedModules().filter(([n, m]) => n !== '' && m !== cut && !m.featureMap).map(([n, m]) => [m, (out: Tensor) => void notMaps.set(out, `${m.kind} '${n}'`)] as const);
  const output = hookedForward(model, x, [...watchers, [cut, (out) => {
    calls++;
    activation ??= out;
  }]]);
  const from = activation === null ? undefined : notMaps.get(activation);
  if (from !== undefined) fail('cam', `layer '${layer}' outputs the tensor of ${from}, not a feature map; choose a feature map or token grid layer (camlab info lists them), or a rollout method for attention`);
  return finishSplit(model, x, layer, activation, calls, output);
}

function finishSplit(model: Module, x: Tensor, layer: string, activation: Tensor | null, calls: number, output: Tensor): Split {
  if (activation === null) fail('cam', `layer '${layer}' did not run in the forward pass`);
  if (calls > 1) fail('cam', `layer '${layer}' runs ${calls} times per forward pass (a shared module); choose its parent block instead`);
  if (activation.ndim !== 4) {
    const views = model.namedModules().map(([n]) => n).filter((n) => n.endsWith(GRID_SUFFIX));
    const hint = activation.ndim === 3 && views.length > 0 ? ` (a token layer without a ${GRID_SUFFIX} view: after the last attention only the class token reaches the score); token layers with a map: ${views.join(', ')}` : '';
    fail('cam', `layer '${layer}' outputs ${shapeStr(activation.shape)}; CAM needs a 4-D [N,C,H,W] feature map${hint}`);
  }
  const target = model.get(cutLayer(model, layer));
  const head = sequentialHead(model, layer) ?? ((h: Tensor): Tensor => {
    // General path: run the model again with the layer's output replaced by h.
    const swap = target.registerForwardHook(() => h);
    try {
      return model.call(x);
    } finally {
      swap.remove();
    }
  });
  return { layer, activation, output, head: (h) => withEval(model, () => head(h)) };
}

/**
 * When every ancestor of the layer is a Sequential, the rest of the network is just the modules
 * after it at each level, in order; null otherwise.
 */
export function modulesAfter(model: Module, layer: string): Module[] | null {
  const levels: Module[][] = [];
  let m: Module = model;
  for (const p of layer.split('.')) {
    if (!(m instanceof Sequential)) return null;
    const kids = m.namedChildren();
    const i = kids.findIndex(([n]) => n === p);
    if (i < 0) return null;
    levels.push(kids.slice(i + 1).map(([, c]) => c));
    m = kids[i]![1];
  }
  return expandSequentials(levels.reverse().flat());
}

/** Nested Sequentials replaced by their children, recursively (the order of execution). */
function expandSequentials(mods: readonly Module[]): Module[] {
  return mods.flatMap((m) => (m instanceof Sequential ? expandSequentials(m.namedChildren().map(([, c]) => c)) : [m]));
}

/**
 * The fast paths of `head`: run the modules after the layer instead of the whole model (hooks on
 * those modules run; hooks on the Sequential containers themselves do not), or, in a graph model,
 * the graph's steps after the layer's output on the values of the pass that cut it there.
 */
function sequentialHead(model: Module, layer: string): ((a: Tensor) => Tensor) | null {
  if (isGraphModel(model)) return model.headAfter?.(layer) ?? null;
  const after = modulesAfter(model, layer);
  if (after === null) return null;
  return (a: Tensor): Tensor => after.reduce((h, mod) => mod.call(h), a);
}

/** A fresh leaf holding the activation's values, so gradients with respect to it can be taken. */
export function activationLeaf(a: Tensor): Tensor {
  return requiresGrad(detach(a));
}
