import { CamlabError } from '../tensor/errors.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { infoCommand, INFO_HELP } from './info.js';
import { TRAIN_HELP, trainCommand } from './train.js';

const HELP = `camlab: Grad-CAM, Grad-CAM++ (exact higher-order terms), SmoothGrad and Smooth Grad-CAM++ in pure TypeScript

usage: camlab <command> [options]

commands:
  demo       explain the bundled sample images with every method; writes out/index.html
  explain    explain one PNG with one or more methods
  info       describe a model: layers, output shapes, parameters
  train      train a classifier (shapes or MNIST) and write its weights
  help CMD   details of a command`;

const HELPS: Record<string, string> = { demo: DEMO_HELP, explain: EXPLAIN_HELP, info: INFO_HELP, train: TRAIN_HELP };

/** Runs the CLI; returns the exit code (0 ok, 2 bad input or data, 1 internal error). */
export function run(argv: readonly string[]): number {
  const [cmd, ...rest] = argv;
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  const tty = process.stderr.isTTY === true;
  let lastProgress = 0;
  const progress = (s: string): void => {
    const now = Date.now();
    if (tty) process.stderr.write(`\r${s}\x1b[K`);
    else if (now - lastProgress > 10_000) {
      process.stderr.write(`${s}\n`);
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
      case 'info':
        infoCommand(rest, log);
        return 0;
      case 'train':
        trainCommand(rest, log, progress);
        if (tty) process.stderr.write('\n');
        return 0;
      default:
        throw new CamlabError('command', `unknown command '${cmd}'; commands: demo, explain, info, train, help`);
    }
  } catch (e) {
    if (e instanceof CamlabError) {
      process.stderr.write(`camlab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

