import { emitConvKernels } from './conv-kernel.js';
import { emitDepthwise } from './depthwise-kernel.js';
import { emitElementwise } from './elementwise-kernel.js';
import { emitEpilogues } from './epilogue-kernel.js';
import { ModuleBuilder } from './emit.js';
import { emitGatherScatter, emitMaxPool } from './pool-kernel.js';
import { emitSum } from './reduce-kernel.js';
import { emitGemm, emitGemmBlocks, LANES, type GemmTile, type WasmDType } from './gemm-kernel.js';

/**
 * Register tiles and cache blocks per dtype, measured on the reference machine (Sapphire Rapids,
 * V8 in Node 20, bench/): 4×8 f32 (4 rows × 2 f32x4) and 4×4 f64
 * (4 rows × 2 f64x2) keep 8 accumulators, 2 B vectors and 4 A broadcasts in the 16 XMM registers
 * V8 uses; larger tiles (4×12, 5×8, 6×8) spill because V8 hoists every broadcast load of a k step.
 * Unrolling k gave nothing (it lengthens the live ranges the same way).
 */
export const TILES: Record<WasmDType, GemmTile> = {
  f32: { MR: 4, NV: 2, UK: 1, MC: 64, NC: 1024 },
  f64: { MR: 4, NV: 2, UK: 1, MC: 64, NC: 512 },
};

/** NR (columns of a register tile) per dtype. */
export function nrOf(dt: WasmDType): number {
  return TILES[dt].NV * LANES[dt].lanes;
}

/**
 * The whole kernel module: per dtype the strided GEMM (`gemm_f32`, `gemm_f64`), the three
 * convolution kernels (`conv_fwd_*`, `conv_dx_*`, `conv_dw_*`), the forward pass's epilogues
 * (`epi_*`: bias, batch norm, residual, relu) and the element-wise ones
 * (`ew_<op>_*`, `relu_*`), max pooling (`maxpool_*`) and the gather / scatter-add of its
 * indices (`gather_*`, `scatter_add_*`) and sums over an axis (`sum_*`), all on one imported memory (`env.memory`, shared when threads are
 * possible).
 */
export function kernelModuleBytes(memory: { min: number; max: number; shared: boolean }): Uint8Array {
  const m = new ModuleBuilder();
  for (const dt of ['f32', 'f64'] as const) {
    const L = LANES[dt];
    const blocks = emitGemmBlocks(m, L, TILES[dt]);
    emitGemm(m, `gemm_${dt}`, L, blocks);
    emitConvKernels(m, L, blocks, dt);
    emitEpilogues(m, L);
    emitDepthwise(m, L);
    emitElementwise(m, L);
    emitMaxPool(m, L);
    emitGatherScatter(m, L);
    emitSum(m, L);
  }
  return m.bytes({ module: 'env', name: 'memory', ...memory });
}
