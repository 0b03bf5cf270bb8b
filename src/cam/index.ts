/** camlab/cam: CAM methods, their formulas, post-processing, rendering, evaluation metrics and SVG plots. */
export * from './target.js';
export * from './split.js';
export * from './gradients.js';
export * from './formulas.js';
export * from './postprocess.js';
export * from './result.js';
export * from './presets.js';
export * from './gradcam.js';
export * from './gradcampp.js';
export * from './smooth.js';
export * from './scorecam.js';
export * from './noise.js';
export * from './methods.js';
export * from './render.js';
export * from './metrics.js';
export * from './plots.js';
export * from './classify.js';
