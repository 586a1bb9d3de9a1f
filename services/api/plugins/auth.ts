// Bearer-token authentication for /v1: every request names a token from API_TOKENS_FILE, and the token's
// scope (all apps or a list) rides on the request for the queries to enforce. The file is re-read when it
// changes, so `errpulse token create` and `token revoke` take effect within a second without a restart.
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../lib/log.js';
import { matchToken, readTokenFile, type Principal, type TokenRecord } from '../auth/token-store.js';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set by the auth hook on every /v1 request, null elsewhere. */
    principal: Principal | null;
  }
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; error: ApiError };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Checks an Authorization header against the stored tokens. */
export function authenticate(header: string | undefined, records: readonly TokenRecord[]): AuthResult {
  if (header === undefined || header.trim() === '') {
    return {
      ok: false,
      error: new ApiError(401, 'AUTH_ERR_EMPTY_AUTH_TOKEN', 'no API token: send the header "Authorization: Bearer <token>" (create one with `errpulse token create --name NAME`)'),
    };
  }
  const match = BEARER.exec(header);
  if (!match) {
    return { ok: false, error: new ApiError(401, 'AUTH_ERR_EMPTY_AUTH_TOKEN', 'the Authorization header must be "Bearer <token>"') };
  }
  const principal = matchToken(records, match[1] as string);
  if (!principal) {
    return { ok: false, error: new ApiError(401, 'AUTH_ERR_AUTH_TOKEN_NOT_FOUND', 'the API token is unknown or was revoked') };
  }
  return { ok: true, principal };
}

/** The current token list, re-read whenever the file changes. */
export interface TokenIndex {
  records(): readonly TokenRecord[];
  close(): void;
}

/** How often the token file's modification time is checked. Polling also sees a file replaced by rename. */
const WATCH_INTERVAL_MS = 500;

export async function watchTokenFile(file: string, logger: Logger): Promise<TokenIndex> {
  // A malformed file at start is fatal: serving with no tokens would look like every token was revoked.
  let current = await readTokenFile(file);
  logger.info({ file, tokens: current.length }, current.length === 0 ? 'no API tokens yet; create one with `errpulse token create`' : 'API tokens loaded');
  let reloading = Promise.resolve();
  const onChange = (now: Stats, previous: Stats) => {
    if (now.mtimeMs === previous.mtimeMs && now.size === previous.size && now.ino === previous.ino) return;
    reloading = reloading.then(async () => {
      try {
        current = await readTokenFile(file);
        logger.info({ file, tokens: current.length }, 'API tokens reloaded');
      } catch (err) {
        // Keep serving the last good list; a half-edited file must not lock everyone out.
        logger.error({ err, file }, 'API token file unreadable; keeping the previous tokens');
      }
    });
  };
  watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);
  return {
    records: () => current,
    close: () => unwatchFile(file, onChange),
  };
}

/** Adds the auth hook to `scope` (the /v1 routes) itself, not to a child context. */
export function addBearerAuth(scope: FastifyInstance, tokens: TokenIndex): void {
  scope.decorateRequest('principal', null);
  scope.addHook('onRequest', async (request, reply) => {
    const result = authenticate(request.headers.authorization, tokens.records());
    if (!result.ok) {
      reply.header('www-authenticate', 'Bearer realm="errpulse"');
      throw result.error;
    }
    request.principal = result.principal;
  });
}

/** The caller of a /v1 route; the auth hook guarantees it, this makes the type say so. */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw new ApiError(401, 'AUTH_ERR_EMPTY_AUTH_TOKEN', 'this endpoint needs an API token');
  return request.principal;
}
