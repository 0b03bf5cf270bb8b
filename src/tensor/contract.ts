/**
 * camlab's numeric contract for the kernels that sum products (GEMM, matmul, the three
 * convolution kernels). Every backend (the JS reference in gemm-js.ts / conv-js.ts, the wasm SIMD
 * kernels in wasm/) follows it, which is what makes their float64 results bit-identical, and
 * every backend's results bit-identical across runtimes and thread counts:
 *
 * - **GEMM** C(i,j) (+)= Σ_k A(i,k)·B(k,j): K is cut into ⌈K/KC⌉ blocks of `kBlockSize(K)` terms
 *   (the last one shorter). Within a block, s = +0, then s = s + A(i,k)·B(k,j) for k ascending,
 *   each product and each sum rounded to the dtype (never a fused multiply-add). Then C = s₁
 *   (or C + s₁ when accumulating), C = C + s₂, … in block order.
 * - **conv2d** out(o,p) = GEMM over k = (c, kh, kw) flattened ascending, K = C/groups·KH·KW, with
 *   zeros for taps in the padding (a zero product never changes a sum, so backends may skip them).
 * - **conv2dInputGrad** dcol(c,kh,kw,p) = GEMM over the output channels o of the group (K = O/groups);
 *   dx(c,ih,iw) = +0, then + dcol for each tap that lands on (ih,iw), taps in (kh, kw) order.
 * - **conv2dWeightGrad** dW(o,k) = GEMM over the output positions p of image 0 in blocks of
 *   kBlockSize(OH·OW), then image 1's blocks, … (one accumulation over all images' blocks).
 *
 * Threads split work by output blocks (rows/columns of C, channels of dx), never by the k sum,
 * so the order above does not depend on the number of threads. float32 kernels compute in float32
 * (products, block sums and the accumulation across blocks); their results stay within 2e-6 of
 * the float64 kernel's relative to Σ|A(i,k)·B(k,j)| (the size of the terms; test/tensor checks it
 * on ResNet-shaped sums). The JS reference forms float32 products and sums in float64 instead
 * (rounding once per block), so float32 results differ between backends within that bound.
 */

/** The longest K block of the contract. */
export const KC = 256;

/** Terms per K block for a sum of K terms: ⌈K/KC⌉ balanced blocks (no tiny last block). */
export function kBlockSize(K: number): number {
  if (K <= KC) return Math.max(1, K);
  return Math.ceil(K / Math.ceil(K / KC));
}
