import type { Kernels } from '../backend.js';
import { convKernels } from './conv-driver.js';
import { elementwiseKernels } from './elementwise-driver.js';
import { gemmKernels } from './gemm-driver.js';

/**
 * The wasm backend's kernels (backend.ts's seam): the TypeScript side of the emitted kernels copies
 * the operands into the kernels' memory, cuts the work into jobs by output blocks, runs them (on
 * all threads when the work is large) and copies the result out. One call's buffers are laid out
 * from scratch each time (runtime.ts's Arena).
 */
export const wasmKernels: Kernels = { ...gemmKernels, ...convKernels, ...elementwiseKernels };
