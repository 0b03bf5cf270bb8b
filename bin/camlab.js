#!/usr/bin/env node
// The `camlab` command. In a git clone it runs the TypeScript sources through tsx (a dev
// dependency), so it never runs a stale build; in the installed package (no src/, no tsx) it
// runs the built CLI in dist/. CAMLAB_USE_DIST=1 forces the build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `camlab … | head` closes the pipe early: stop quietly instead of crashing with EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const source = join(root, 'src', 'cli', 'main.ts');

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return null;
  }
}

const register = process.env.CAMLAB_USE_DIST !== '1' && existsSync(source) ? await tsxRegister() : null;
if (register !== null) {
  register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write(process.env.CAMLAB_USE_DIST === '1'
    ? `camlab: CAMLAB_USE_DIST=1 but ${built} does not exist; run \`npm run build\`\n`
    : `camlab: neither ${built} nor tsx (for ${source}) is available; run \`npm install\`\n`);
  process.exitCode = 1;
}
