import { CamlabError } from '../tensor/errors.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { evalCommand, EVAL_HELP, evalWorkers } from './eval.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { infoCommand, INFO_HELP } from './info.js';
import { TRAIN_HELP, trainCommand } from './train.js';

type Log = (s: string) => void;

/**
 * Every command: its help text and how to run it (`progress` draws a status line on stderr). A
 * command that waits for other processes (eval --workers) returns a promise.
 */
const COMMANDS: Record<string, { help: string; run: (argv: readonly string[], log: Log, progress: Log) => void | Promise<unknown> }> = {
  demo: { help: DEMO_HELP, run: demoCommand },
  eval: { help: EVAL_HELP, run: (argv, log, progress) => (argv.some((a) => a === '--workers' || a.startsWith('--workers=')) ? evalWorkers(argv, log, progress) : void evalCommand(argv, log, progress)) },
  explain: { help: EXPLAIN_HELP, run: explainCommand },
  info: { help: INFO_HELP, run: infoCommand },
  train: { help: TRAIN_HELP, run: trainCommand },
};

const HELP = `camlab: Grad-CAM, Grad-CAM++ (exact higher-order terms), SmoothGrad and Smooth Grad-CAM++ in pure TypeScript

usage: camlab <command> [options]

commands:
  demo       explain the bundled sample images with every method; writes out/index.html
  eval       score the methods on held-out data (faithfulness, localization, smoothness)
  explain    explain one PNG or JPEG with one or more methods (bundled, spec or ONNX models)
  info       describe a model: layers, output shapes, parameters
  train      train a classifier (shapes or MNIST) and write its weights
  help CMD   details of a command (also: camlab CMD --help)`;

/** Where the CLI writes: the process's streams by default, anything with `write` in tests. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

function command(name: string): (typeof COMMANDS)[string] {
  const c = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (c === undefined) throw new CamlabError('command', `unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}, help`);
  return c;
}

/**
 * Runs the CLI; returns the exit code (0 ok, 2 bad input or data; internal errors propagate), or
 * a promise of it for a command that waits for other processes (eval --workers).
 */
export function run(argv: readonly string[], io: CliIo = process): number | Promise<number> {
  const [cmd, ...rest] = argv;
  const log = (s: string): void => void io.stdout.write(`${s}\n`);
  const tty = io.stderr.isTTY === true;
  let lastProgress = 0;
  let progressLine = false; // a status line is open on a terminal
  const progress = (s: string): void => {
    const now = Date.now();
    if (tty) {
      io.stderr.write(`\r${s}\x1b[K`);
      progressLine = true;
    } else if (now - lastProgress > 10_000) {
      io.stderr.write(`${s}\n`);
      lastProgress = now;
    }
  };
  const endProgress = (): void => {
    if (progressLine) io.stderr.write('\n');
    progressLine = false;
  };
  const failed = (e: unknown): number => {
    endProgress();
    if (e instanceof CamlabError) {
      // One line, whatever the message holds (e.g. JSON.parse quoting a file's first lines).
      io.stderr.write(`camlab: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 2;
    }
    throw e;
  };
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      log(rest[0] === undefined ? HELP : command(rest[0]).help);
      return 0;
    }
    const c = command(cmd);
    if (rest.includes('--help') || rest.includes('-h')) {
      log(c.help);
      return 0;
    }
    const pending = c.run(rest, log, progress);
    if (pending instanceof Promise) {
      return pending.then(() => {
        endProgress();
        return 0;
      }, failed);
    }
    endProgress();
    return 0;
  } catch (e) {
    return failed(e);
  }
}
