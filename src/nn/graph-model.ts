import type { Module } from './module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * What CAM methods ask of a model whose layers are nodes of a graph rather than a tree of
 * modules (an imported ONNX graph), where the head after a layer cannot be read off a Sequential.
 */
export interface GraphModel {
  /**
   * The name of the module a CAM at `layer` hooks: `layer` itself, or its feature-map view when
   * the layer outputs a token sequence with a patch grid (a ViT block's ln_1 → [N, D, h, w]).
   */
  camLayer(layer: string): string;
  /**
   * W [classes, K] of the one linear layer that follows global average pooling of `layer`'s
   * output (y = W·GAP(A) + b): the head CAM needs. When anything else follows, what does
   * (`{ follows: 'Relu → GlobalAveragePool → …' }`).
   */
  gapLinearWeight(layer: string): Tensor | { follows: string };
  /**
   * Why the graph runs a fixed number of images at a time (in chunks, so a hooked layer runs
   * once per chunk), or null when batches of any size run at once.
   */
  readonly batchFixed?: string | null;
  /**
   * The part of the graph after `layer`'s output as a function of that output, reusing the values
   * of the forward pass that just cut the graph there (null: re-run the whole graph with the
   * output replaced).
   */
  headAfter?(layer: string): ((h: Tensor) => Tensor) | null;
  /** The names of the graph's attention-probability views ([N, H, S, S], one per block, in order) that rollout reads. */
  attentionLayers?(): string[];
}

/** Whether a model answers {@link GraphModel}'s questions itself. */
export function isGraphModel(m: Module): m is Module & GraphModel {
  const g = m as Partial<GraphModel>;
  return typeof g.camLayer === 'function' && typeof g.gapLinearWeight === 'function';
}
