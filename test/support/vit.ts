/**
 * The tiny torchvision ViT of scripts/vit-fixtures.py (test/fixtures/vit/), and small random ViTs
 * for tests that need no fixture.
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { VisionTransformer, type VisionTransformerConfig } from '../../src/nn/vit.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const DIR = new URL('../fixtures/vit/', import.meta.url);

function file(name: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  return parseSafetensors(new Uint8Array(readFileSync(new URL(name, DIR))));
}

/** The fixture's torchvision state dict, as written (keys unchanged). */
export function tinyVitWeights(): Map<string, Tensor> {
  return file('vit-tiny.safetensors').tensors;
}

/** The fixture's config in camlab's names (torchvision's snake_case keys in the file's metadata). */
export function tinyVitConfig(): VisionTransformerConfig {
  const c = JSON.parse(file('vit-tiny.safetensors').metadata.config!) as Record<string, number>;
  return {
    imageSize: c.image_size!, patchSize: c.patch_size!, numLayers: c.num_layers!, numHeads: c.num_heads!,
    hiddenDim: c.hidden_dim!, mlpDim: c.mlp_dim!, numClasses: c.num_classes!,
  };
}

/** A camlab VisionTransformer holding the fixture's weights (eval mode). */
export function tinyVit(): VisionTransformer {
  const m = new VisionTransformer(tinyVitConfig());
  m.loadStateDict(tinyVitWeights());
  return m.eval();
}

/** Inputs and PyTorch's results (see scripts/vit-fixtures.py), and the explained classes. */
export function tinyVitIo(): { get(name: string): Tensor; classes: number[] } {
  const { tensors, metadata } = file('vit-tiny.io.safetensors');
  return {
    get(name: string): Tensor {
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`fixture lacks ${name}`);
      return t;
    },
    classes: JSON.parse(metadata.classes!) as number[],
  };
}

/** The fixture's ViT with a convolutional stem (eval mode), and its inputs and PyTorch's results. */
export function stemVit(): { model: VisionTransformer; io: Map<string, Tensor>; classes: number[] } {
  const w = file('vit-stem.safetensors');
  const c = JSON.parse(w.metadata.config!) as Record<string, number>;
  const stem = (JSON.parse(w.metadata.stem!) as Array<{ out: number; kernel: number; stride: number }>);
  const model = new VisionTransformer({
    imageSize: c.image_size!, patchSize: c.patch_size!, numLayers: c.num_layers!, numHeads: c.num_heads!,
    hiddenDim: c.hidden_dim!, mlpDim: c.mlp_dim!, numClasses: c.num_classes!, convStem: stem,
  });
  model.loadStateDict(w.tensors);
  const io = file('vit-stem.io.safetensors');
  return { model: model.eval(), io: io.tensors, classes: JSON.parse(io.metadata.classes!) as number[] };
}

/**
 * A small random ViT (image 8, patch 4: 4 patches + class token; 2 blocks, 2 heads, width 4)
 * with every weight drawn from N(0, scale²) so nothing is zero (torchvision's init zeroes the head).
 */
export function randomVit(seed: number, overrides: Partial<VisionTransformerConfig> = {}, scale = 0.7): VisionTransformer {
  const m = new VisionTransformer({ imageSize: 8, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 4, mlpDim: 6, numClasses: 3, ...overrides });
  const rng = new Rng(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = scale * rng.normal();
  return m.eval();
}
