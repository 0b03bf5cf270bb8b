import { noGrad } from '../autodiff/mode.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

/** Runs fn with the model in eval mode (batch norm on running statistics, no dropout), restoring every module's mode after. */
export function withEval<T>(model: Module, fn: () => T): T {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return fn();
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/** The model's output for x as at inference: eval mode, no graph recorded; every module's mode is restored after. */
export function infer(model: Module, x: Tensor): Tensor {
  return withEval(model, () => noGrad(() => model.call(x)));
}
