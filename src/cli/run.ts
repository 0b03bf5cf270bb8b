import { CamlabError } from '../tensor/errors.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { evalCommand, EVAL_HELP } from './eval.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { infoCommand, INFO_HELP } from './info.js';
import { TRAIN_HELP, trainCommand } from './train.js';

const HELP = `camlab: Grad-CAM, Grad-CAM++ (exact higher-order terms), SmoothGrad and Smooth Grad-CAM++ in pure TypeScript

usage: camlab <command> [options]

commands:
  demo       explain the bundled sample images with every method; writes out/index.html
  eval       score the methods on held-out data (faithfulness, localization, smoothness)
  explain    explain one PNG with one or more methods
  info       describe a model: layers, output shapes, parameters
  train      train a classifier (shapes or MNIST) and write its weights
  help CMD   details of a command`;

const HELPS: Record<string, string> = { demo: DEMO_HELP, eval: EVAL_HELP, explain: EXPLAIN_HELP, info: INFO_HELP, train: TRAIN_HELP };

/** Where the CLI writes: the process's streams by default, anything with `write` in tests. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Runs the CLI; returns the exit code (0 ok, 2 bad input or data; internal errors propagate). */
export function run(argv: readonly string[], io: CliIo = process): number {
  const [cmd, ...rest] = argv;
  const log = (s: string): void => void io.stdout.write(`${s}\n`);
  const tty = io.stderr.isTTY === true;
  let lastProgress = 0;
  const progress = (s: string): void => {
    const now = Date.now();
    if (tty) io.stderr.write(`\r${s}\x1b[K`);
    else if (now - lastProgress > 10_000) {
      io.stderr.write(`${s}\n`);
      lastProgress = now;
    }
  };
  try {
    switch (cmd) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        log(rest[0] !== undefined && HELPS[rest[0]] !== undefined ? HELPS[rest[0]]! : HELP);
        return 0;
      case 'explain':
        explainCommand(rest, log);
        return 0;
      case 'demo':
        demoCommand(rest, log);
        return 0;
      case 'eval':
        evalCommand(rest, log, progress);
        if (tty) io.stderr.write('\n');
        return 0;
      case 'info':
        infoCommand(rest, log);
        return 0;
      case 'train':
        trainCommand(rest, log, progress);
        if (tty) io.stderr.write('\n');
        return 0;
      default:
        throw new CamlabError('command', `unknown command '${cmd}'; commands: demo, eval, explain, info, train, help`);
    }
  } catch (e) {
    if (e instanceof CamlabError) {
      io.stderr.write(`camlab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

