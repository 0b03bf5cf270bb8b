/**
 * camlab/tensor: the kernel layer. Plain tensors and fast loops over flat typed arrays; no
 * autodiff here (see camlab's root export for the differentiable versions of these ops).
 */
export * from './dtype.js';
export * from './errors.js';
export * from './shape.js';
export * from './tensor.js';
export * from './create.js';
export * from './rng.js';
export * from './elementwise.js';
export * from './unary.js';
export * from './reduce.js';
export * from './movement.js';
export * from './indexing.js';
export { erfScalar } from './special.js';
export { detExp, detExpm1, detLogAny, detLog1p, detTanh } from './detmath.js';
export { gemm, GEMM_BLOCKING } from './gemm.js';
export { KC, kBlockSize } from './contract.js';
export { setBackend, getBackend, backendInfo, type Backend } from './backend.js';
export { setThreads, getThreads, setWorkerFactory, type WorkerFactory, type WorkerHandle } from './wasm/threads.js';
export { matmul, type MatmulOptions } from './matmul.js';
export { conv2d, conv2dInputGrad, conv2dWeightGrad, conv2dOutputShape, type Conv2dOptions } from './conv.js';
export { maxPool2d, avgPool2d, avgPool2dAdjoint, adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint, type Pool2dOptions } from './pool.js';
export { resizeBilinear, resizeBilinearAdjoint } from './resize.js';
export { channelAffine } from './channel-affine.js';
