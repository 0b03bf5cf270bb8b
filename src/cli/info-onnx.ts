import { defaultLayer } from '../cam/split.js';
import type { Classifier } from '../io/classifier.js';
import type { OnnxModel } from '../onnx/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { table } from './report.js';

/** How many class names `camlab info` shows before '…'. */
const SHOWN_CLASSES = 10;

/**
 * `camlab info --model m.onnx`: the graph, its input and preprocessing, its classes, and every
 * candidate CAM layer (what --layer takes: the module path, else the ONNX tensor name) with its
 * op and shape for one image; the default layer is marked with *; then the attention taps rollout reads, if any.
 */
export function onnxInfo(model: Classifier, graph: OnnxModel, x: Tensor, log: (s: string) => void): void {
  const declared = graph.inputShape.map((d) => d ?? '?').join(',');
  const classes = model.classes.length > SHOWN_CLASSES ? [...model.classes.slice(0, SHOWN_CLASSES), '…'] : model.classes;
  log(`${model.name}: ${model.description}`);
  log(`input ${x.shape.slice(1).join('x')} (declared [${declared}]), ${model.classes.length} classes (${classes.join(', ')})`);
  log(`preprocessing: ${model.recipe}`);
  if (graph.batchFixed !== null) log(`batch: runs one export batch at a time (${graph.batchFixed})`);
  const chosen = defaultLayer(graph, x);
  const rows = graph.camLayers().map((l) => [
    `${l.name === chosen ? '* ' : '  '}${l.alias === '' ? l.name : l.alias}`, l.op, `[${l.shape.join(',')}]`, l.alias === '' ? '' : l.name,
  ]);
  log(table(['  layer (--layer)', 'op', 'output', 'ONNX tensor'], rows, 'llrl'));
  log(`* default CAM layer: ${graph.layerLabel(chosen)} (the last feature map before global pooling)`);
  const attention = graph.attentionLayers();
  if (attention.length > 0) {
    const shape = graph.layers().find((l) => l.op === 'attention')!.shape;
    log(`attention probabilities (the rollout methods read them), [${shape.join(',')}] each: ${attention.join(', ')}`);
  }
}
