// The built-in web console (web/, built into dist/console by `npm run build`): static files at `/`, in a
// context of its own so its security headers apply to its files only and never to /v1, /docs,
// /openapi.json, /healthz or /metrics. The console is a plain client of /v1 with a bearer token, so
// serving it needs no token and exposes no data.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../../../lib/paths.js';

/** Where `npm run build` writes the console (web/build.ts). */
export const CONSOLE_DIR = join(PROJECT_ROOT, 'dist', 'console');

/**
 * Scripts and styles only from this origin, no inline code, no frames, no plugins; requests only to the
 * same origin (the /v1 API). uPlot and Preact set styles through the CSSOM, which CSP allows.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Built file names carry a content hash (app-3F2K….js), so they can be cached for good; index.html
// names the current ones and must always be revalidated.
const HASHED = /-[A-Z0-9]{8,}\.(js|css)(\.gz|\.br)?$/;

export interface ConsoleOptions {
  /** Defaults to CONSOLE_DIR; tests may point elsewhere. */
  dir?: string;
}

export async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const dir = opts.dir ?? CONSOLE_DIR;
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
  });
  if (!existsSync(join(dir, 'index.html'))) {
    // Running from source without a build (tsx, unit tests): say how to get the console instead of a 404.
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`.\n'),
    );
    return;
  }
  // The page itself is tiny and names the current bundle, so it is read once and sent as it is.
  // (@fastify/static's own index route answers 404 to a browser when preCompressed is on.)
  const page = readFileSync(join(dir, 'index.html'));
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // Only the files that exist at start get routes; every other path stays the API's JSON 404.
    wildcard: false,
    index: false,
    globIgnore: ['**/*.gz', '**/*.br', 'index.html'],
    decorateReply: false,
    schemaHide: true,
    preCompressed: true,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
