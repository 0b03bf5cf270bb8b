/** Transformer explanations by attention rollout: head fusion, the rollout matrices, capture of attention and its derivatives, and the methods. */
export * from './fusion.js';
export * from './rollout.js';
export * from './capture.js';
export * from './terms.js';
export * from './methods.js';
export * from './summary.js';
