#!/usr/bin/env node
/** The `camlab` command's entry point (see run.ts for the commands). */
import '../node-workers.js';
import { run } from './run.js';

const code = run(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
else void code.then((c) => (process.exitCode = c));
