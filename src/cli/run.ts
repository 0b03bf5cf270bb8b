import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CamlabError } from '../tensor/errors.js';
import { ROOT } from '../node/files.js';
import { demoCommand, DEMO_HELP } from './demo.js';
import { asCommandError, errorLine } from './errors.js';
import { evalCommand, EVAL_HELP, evalWorkers } from './eval.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { infoCommand, INFO_HELP } from './info.js';
import { Progress } from './progress.js';
import { TRAIN_HELP, trainCommand } from './train.js';

/**
 * What a command writes to: `log` a line on stdout, `warn` a `camlab: …` line on stderr (a
 * problem the command reports and goes on after), `progress` the progress reporter.
 */
export interface CommandIo {
  log: (s: string) => void;
  warn: (s: string) => void;
  progress: Progress;
}

/**
 * Every command: its help text and how to run it. A command returns its exit code when it went
 * on after problems it reported (demo over a folder with a bad picture: 2), or nothing (0); a
 * command that waits for other processes (eval --workers) returns a promise.
 */
const COMMANDS: Record<string, { help: string; run: (argv: readonly string[], io: CommandIo) => void | number | Promise<unknown> }> = {
  demo: { help: DEMO_HELP, run: demoCommand },
  eval: { help: EVAL_HELP, run: (argv, io) => (argv.some((a) => a === '--workers' || a.startsWith('--workers=')) ? evalWorkers(argv, io.log, io.progress) : void evalCommand(argv, io.log, io.progress)) },
  explain: { help: EXPLAIN_HELP, run: explainCommand },
  info: { help: INFO_HELP, run: infoCommand },
  train: { help: TRAIN_HELP, run: trainCommand },
};

const HELP = `camlab: Grad-CAM, Grad-CAM++ (exact higher-order terms), SmoothGrad and Smooth Grad-CAM++ in pure TypeScript

usage: camlab <command> [options]

commands:
  demo       explain the bundled sample images with every method; writes out/index.html
  eval       score the methods on held-out data (faithfulness, localization, smoothness)
  explain    explain PNG and JPEG pictures (files or folders) with one or more methods
  info       describe a model: layers, output shapes, parameters
  train      train a classifier (shapes or MNIST) and write its weights
  help CMD   details of a command (also: camlab CMD --help)

options: --version, --help`;

/** Where the CLI writes: the process's streams by default, anything with `write` in tests. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** false: no progress on stderr (default: a bar on a terminal, plain lines otherwise). */
  progress?: boolean;
}

/** The version in package.json (the clone's or the installed package's). */
export function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function command(name: string): (typeof COMMANDS)[string] {
  const c = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (c === undefined) throw new CamlabError('camlab', `unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}, help (camlab --help)`);
  return c;
}

/**
 * Runs the CLI; returns the exit code (0 ok, 2 bad input or data, or a command that reported
 * problems and went on; internal errors propagate), or a promise of it for a command that waits
 * for other processes (eval --workers). `camlab` alone prints the help on stderr and exits 2.
 */
export function run(argv: readonly string[], io: CliIo = process): number | Promise<number> {
  const [cmd, ...rest] = argv;
  const progress = new Progress(io.progress === false ? null : io.stderr);
  const log = (s: string): void => {
    progress.clear();
    io.stdout.write(`${s}\n`);
  };
  const warn = (s: string): void => {
    progress.clear();
    io.stderr.write(`camlab: ${s}\n`);
  };
  const failed = (e: unknown): number => {
    progress.clear();
    const err = cmd !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? asCommandError(cmd, e) : e;
    if (err instanceof CamlabError) {
      io.stderr.write(`${errorLine(err)}\n`);
      return 2;
    }
    throw err;
  };
  const finished = (code: unknown): number => {
    progress.clear();
    return typeof code === 'number' ? code : 0;
  };
  try {
    if (cmd === undefined) {
      io.stderr.write(`${HELP}\n`);
      return 2;
    }
    if (cmd === '--version' || cmd === '-v') {
      log(`camlab ${version()}`);
      return 0;
    }
    if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
      log(rest[0] === undefined ? HELP : command(rest[0]).help);
      return 0;
    }
    const c = command(cmd);
    if (rest.includes('--help') || rest.includes('-h')) {
      log(c.help);
      return 0;
    }
    const outcome = c.run(rest, { log, warn, progress });
    if (outcome instanceof Promise) return outcome.then(finished, failed);
    return finished(outcome);
  } catch (e) {
    return failed(e);
  }
}
