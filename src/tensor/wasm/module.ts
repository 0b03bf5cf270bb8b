import { emitConvKernels } from './conv-kernel.js';
import { emitDepthwise } from './depthwise-kernel.js';
import { emitElementwise } from './elementwise-kernel.js';
import { emitEpilogues } from './epilogue-kernel.js';
import { ModuleBuilder } from './emit.js';
import { emitGatherScatter, emitMaxPool } from './pool-kernel.js';
import { emitSum } from './reduce-kernel.js';
import { emitGemm, emitGemmBlocks, LANES, type GemmTile, type WasmDType } from './gemm-kernel.js';

/**
 * Register tiles and cache blocks per dtype. 2×16 f32 (2 rows × 4 f32x4) and 2×8 f64 (2 rows × 4
 * f64x2) keep 8 accumulators, 4 B vectors, one A broadcast and one product in the 15 XMM
 * registers V8 allocates, with 2 broadcasts per 8 multiplies: measured on AMD EPYC (Zen 3, V8 in
 * Node 20) they run ~10 % faster than the 4×8 / 4×4 tiles the kernels had before (tuned on
 * Sapphire Rapids; 4 broadcasts per 8 multiplies, and a broadcast seems to take a vector pipe
 * here). Wider tiles (3×16, 2×20, 4×12, 6×8) spill because V8 hoists every load of a k step;
 * unrolling k lengthens the live ranges the same way. A last panel narrower than NR runs a kernel
 * of fewer vectors (emitGemmBlocks).
 */
export const TILES: Record<WasmDType, GemmTile> = {
  f32: { MR: 2, NV: 4, UK: 1, MC: 64, NC: 1024 },
  f64: { MR: 2, NV: 4, UK: 1, MC: 64, NC: 512 },
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
