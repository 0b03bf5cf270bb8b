#!/usr/bin/env node
/** The `camlab` command's entry point (see run.ts for the commands). */
import '../node-workers.js';
import { run } from './run.js';

process.exitCode = run(process.argv.slice(2));
