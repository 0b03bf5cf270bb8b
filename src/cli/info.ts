import { probeLayers, defaultLayer } from '../cam/split.js';
import { OnnxModel } from '../onnx/model.js';
import { zeros } from '../tensor/create.js';
import { parseArgs } from './args.js';
import { onnxInfo } from './info-onnx.js';
import { MODEL_FLAGS, modelFromArgs, modelHelp } from './model-flags.js';
import { table } from './report.js';
import type { CommandIo } from './run.js';

export const INFO_HELP = `camlab info [--model M] [options]

Lists the model's layers (names usable with --layer), their output shapes and the default CAM
layer. For an ONNX model: the candidate CAM layers (4-D maps before global pooling, and token
layers with a patch grid) with their module paths, ops and shapes, the default marked, the
attention probabilities the rollout methods read (transformers), and the preprocessing and
classes camlab will use.

${modelHelp('bundled model shapes-cnn (default), shapes-vit or mnist-cnn')}`;

export function infoCommand(argv: readonly string[], { log }: CommandIo): void {
  const args = parseArgs('info', argv, { values: [...MODEL_FLAGS], positional: [0, 0] });
  const model = modelFromArgs('info', args, 'shapes-cnn');
  const { module, input } = model;
  const x = zeros([1, input.channels, input.height, input.width]);
  if (module instanceof OnnxModel) {
    onnxInfo(model, module, x, log);
    return;
  }
  const layers = probeLayers(module, x);
  const byName = new Map(module.namedModules());
  log(`${model.name}: ${model.description}`);
  log(`input ${input.channels}x${input.height}x${input.width}, ${model.classes.length} classes (${model.classes.join(', ')}), ${module.parameterCount()} parameters`);
  log(table(['layer', 'module', 'output'], layers.map((l) => [l.name, byName.get(l.name)?.describe() ?? l.type, `[${l.shape.join(',')}]`])));
  log(`default CAM layer: ${defaultLayer(module, x)}`);
}
