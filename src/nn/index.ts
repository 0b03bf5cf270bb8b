/** camlab/nn: modules, layers, losses, optimizers, init, model specs. */
export * from './module.js';
export * from './infer.js';
export * from './layers.js';
export * from './init.js';
export * from './losses.js';
export * from './optim.js';
export * from './spec.js';
export * from './train.js';
export * from './zoo.js';
export * from './layernorm.js';
export * from './attention.js';
export * from './init-vit.js';
export * from './tokens.js';
export * from './token-grid.js';
export * from './vit.js';
export * from './graph-model.js';
