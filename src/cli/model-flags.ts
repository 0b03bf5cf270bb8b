/**
 * The flags that choose a model and, for ONNX models, its preprocessing and labels: one parser
 * for explain, info, eval and demo, so `--model m.onnx --labels imagenet` means the same everywhere.
 */
import type { Classifier, OnnxOverrides } from '../io/classifier.js';
import { IMAGENET_CLASSES } from '../io/imagenet-classes.js';
import { utf8Decode } from '../io/utf8.js';
import { isOnnxPath, loadClassifier, readBytes, type ClassifierFileOptions } from '../node/files.js';
import { isDType } from '../tensor/dtype.js';
import { CamlabError } from '../tensor/errors.js';
import { value, type ParsedArgs } from './args.js';

/** The value flags of a model choice (add them to a command's ArgSpec). */
export const MODEL_FLAGS = ['model', 'weights', 'size', 'crop', 'mean', 'std', 'labels', 'dtype'] as const;

/** Flags that only an ONNX model takes. */
const ONNX_FLAGS = ['size', 'crop', 'mean', 'std', 'labels', 'dtype'] as const;

/** Help lines for the model flags (`bundled` names the default model or says what it is). */
export function modelHelp(bundled: string): string {
  return `  --model M                ${bundled}; a spec .json file; or an .onnx file
  --weights FILE           a spec's safetensors weights (default: model.safetensors next to the spec)
 ONNX models: a sidecar M.onnx.json next to the model, when present, gives the preprocessing and
 labels (without one: torchvision's ImageNet recipe for 224x224 inputs); these flags override it.
  --size N|HxW|none        resize the shorter side to N, or the picture to HxW
  --crop N|HxW|none        centre crop
  --mean a,b,c --std a,b,c per-channel normalization of v/255
  --labels imagenet|FILE   class names: the 1000 ImageNet classes, or a file with one name per line
                           (or a JSON array of names)
  --dtype float32|float64  computation dtype (default float32; float64 to verify numbers)`;
}

/**
 * The classifier the flags name (`fallback` without --model). ONNX-only flags with a spec model,
 * and malformed values, are one-line errors of `command`.
 */
export function modelFromArgs(command: string, args: ParsedArgs, fallback: string): Classifier {
  const model = value(args, 'model') ?? fallback;
  const given = ONNX_FLAGS.filter((f) => args.values.has(f));
  if (!isOnnxPath(model) && given.length > 0) {
    throw new CamlabError(command, `--${given.join(', --')} ${given.length === 1 ? 'applies' : 'apply'} to ONNX models (--model m.onnx); ${model} takes its preprocessing and classes from its spec`);
  }
  const opts: ClassifierFileOptions = {};
  const weights = value(args, 'weights');
  if (weights !== undefined) {
    if (isOnnxPath(model)) throw new CamlabError(command, `--weights is for model specs; ${model} holds its own weights`);
    opts.weights = weights;
  }
  const dtype = value(args, 'dtype');
  if (dtype !== undefined) {
    if (!isDType(dtype)) throw new CamlabError(command, `--dtype must be float32 or float64, got '${dtype}'`);
    opts.dtype = dtype;
  }
  const o: OnnxOverrides = {};
  const size = sizeFlag(command, args, 'size');
  if (size !== undefined) o.size = size;
  const crop = sizeFlag(command, args, 'crop');
  if (crop !== undefined) o.crop = crop;
  const mean = numbersFlag(command, args, 'mean');
  if (mean !== undefined) o.mean = mean;
  const std = numbersFlag(command, args, 'std');
  if (std !== undefined) {
    if (std.some((v) => v <= 0)) throw new CamlabError(command, `--std values must be > 0, got ${std.join(',')}`);
    o.std = std;
  }
  const labels = value(args, 'labels');
  if (labels !== undefined) o.labels = labels === 'imagenet' ? IMAGENET_CLASSES : labelsFile(command, labels);
  if (Object.keys(o).length > 0) opts.onnx = o;
  return loadClassifier(model, opts);
}

/** --size / --crop: N, HxW or none. */
function sizeFlag(command: string, args: ParsedArgs, name: string): number | [number, number] | null | undefined {
  const raw = value(args, name);
  if (raw === undefined) return undefined;
  if (raw === 'none') return null;
  const m = /^(\d+)(?:x(\d+))?$/.exec(raw.trim());
  const dims = m === null ? [] : [Number(m[1]), ...(m[2] === undefined ? [] : [Number(m[2])])];
  if (dims.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 65_536)) {
    throw new CamlabError(command, `--${name} must be N, HxW (1 to 65536) or none, got '${raw}'`);
  }
  return dims.length === 1 ? dims[0]! : [dims[0]!, dims[1]!];
}

/** --mean / --std: comma-separated finite numbers. */
function numbersFlag(command: string, args: ParsedArgs, name: string): number[] | undefined {
  const raw = value(args, name);
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((s) => s === '') || nums.some((v) => !Number.isFinite(v))) throw new CamlabError(command, `--${name} must be comma-separated numbers (one per channel), got '${raw}'`);
  return nums;
}

/** Class names from a file: a JSON array of strings, or one name per line (trailing empty lines ignored). */
function labelsFile(command: string, path: string): string[] {
  const text = utf8Decode(readBytes(path, 'labels'));
  if (text === null) throw new CamlabError(command, `--labels ${path} is not UTF-8 text`);
  if (text.trimStart().startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new CamlabError(command, `--labels ${path} is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(json) || json.length === 0 || !json.every((s) => typeof s === 'string')) throw new CamlabError(command, `--labels ${path} must hold a JSON array of strings`);
    return json as string[];
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const empty = lines.indexOf('');
  if (lines.length === 0) throw new CamlabError(command, `--labels ${path} names no classes`);
  if (empty >= 0) throw new CamlabError(command, `--labels ${path}: line ${empty + 1} is empty (one class name per line, in output order)`);
  return lines;
}
