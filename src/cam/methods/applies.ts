import { AttentionProbabilities } from '../../nn/attention.js';
import { isGraphModel } from '../../nn/graph-model.js';
import { AdaptiveAvgPool2d, GlobalAvgPool } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import type { AppliesTo, MethodInfo } from './descriptor.js';

/** What each kind of method needs, as error messages and help text say it. */
export const APPLIES_TO_TEXT: Readonly<Record<AppliesTo, string>> = {
  any: 'any classifier',
  transformer: 'transformers (models with MultiheadAttention blocks)',
  'gap-linear': 'models ending in global average pooling and one linear layer',
};

/** Whether a model has what methods of a kind need (a structural check: no forward pass). */
function has(model: Module, appliesTo: AppliesTo): boolean {
  const modules = model.namedModules().map(([, m]) => m);
  switch (appliesTo) {
    case 'any':
      return true;
    case 'transformer':
      return modules.some((m) => m instanceof AttentionProbabilities);
    case 'gap-linear':
      // An imported graph tells at run time, in its own one-line error, what follows the layer.
      if (isGraphModel(model)) return true;
      return modules.some((m) => m instanceof GlobalAvgPool || (m instanceof AdaptiveAvgPool2d && [m.options].flat().every((v) => v === 1)));
  }
}

/** Why a method does not apply to a model (one line, naming both), or null when it does. */
export function whyNotApplicable(method: MethodInfo, model: Module): string | null {
  if (has(model, method.appliesTo)) return null;
  return `${method.name} applies to ${APPLIES_TO_TEXT[method.appliesTo]}, and ${model.describe()} is not one`;
}
