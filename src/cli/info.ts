import { probeLayers, defaultLayer } from '../cam/split.js';
import { zeros } from '../tensor/create.js';
import { parseArgs, value } from './args.js';
import { resolveModel } from '../node/files.js';
import { table } from './report.js';
import type { CommandIo } from './run.js';

export const INFO_HELP = `camlab info [--model NAME|SPEC.json] [--weights FILE]

Lists the model's layers (state-dict names usable with --layer), their output shapes and the
default CAM layer.`;

export function infoCommand(argv: readonly string[], { log }: CommandIo): void {
  const args = parseArgs('info', argv, { values: ['model', 'weights'], positional: [0, 0] });
  const { spec, module } = resolveModel(value(args, 'model') ?? 'shapes-cnn', value(args, 'weights'));
  const x = zeros([1, spec.input.channels, spec.input.height, spec.input.width]);
  const layers = probeLayers(module, x);
  const byName = new Map(module.namedModules());
  log(`${spec.name}: ${spec.description ?? ''}`);
  log(`input ${spec.input.channels}x${spec.input.height}x${spec.input.width}, ${spec.classes.length} classes (${spec.classes.join(', ')}), ${module.parameterCount()} parameters`);
  log(table(['layer', 'module', 'output'], layers.map((l) => [l.name, byName.get(l.name)?.describe() ?? l.type, `[${l.shape.join(',')}]`])));
  log(`default CAM layer: ${defaultLayer(module, x)}`);
}
