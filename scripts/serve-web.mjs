#!/usr/bin/env node
// A tiny static file server for the built page (dist-web/ by default), on 127.0.0.1.
//
//   npm run web                                   # build dist-web/, then serve it on port 8080
//   node scripts/serve-web.mjs [--root DIR] [--port N] [--host H]   # --port 0: any free port
// PORT in the environment also sets the port. Prints the URL; Ctrl-C stops it.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/** Starts serving `root`; resolves to { url, port, close() } once listening. */
export function serve({ root = join(ROOT, 'dist-web'), port = 8080, host = '127.0.0.1', log = false } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      if (log) console.log(`404 ${path}`);
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': st.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // Cross-origin isolation: the compute worker may share WebAssembly memory with its own
      // workers (camlab's kernels on all cores). Without it the page runs on one thread and says so.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr !== null ? addr.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolvePromise({
        url: `http://${shownHost}:${p}/`,
        port: p,
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opts = { log: true, port: process.env.PORT !== undefined ? Number(process.env.PORT) : 8080 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root') opts.root = argv[++i];
    else if (argv[i] === '--port') opts.port = Number(argv[++i]);
    else if (argv[i] === '--host') opts.host = argv[++i];
    else {
      console.error(`serve-web: unknown argument '${argv[i]}' (usage: node scripts/serve-web.mjs [--root DIR] [--port N] [--host H])`);
      process.exit(2);
    }
  }
  try {
    statSync(join(opts.root ?? join(ROOT, 'dist-web'), 'index.html'));
  } catch {
    console.error('serve-web: no built page; run `npm run build:web` first (or `npm run web`, which does both)');
    process.exit(2);
  }
  const { url } = await serve(opts);
  console.log(`camlab web page: ${url}  (Ctrl-C to stop)`);
}
