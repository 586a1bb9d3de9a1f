// Bearer-token authentication for /v1: every request names a token from API_TOKENS_FILE, and the token's
// scope (all apps or a list) rides on the request for the queries to enforce. The file is re-read when it
// changes, so `errpulse token create` and `token revoke` take effect within a second without a restart.
import { stat } from 'node:fs/promises';
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

/** How often the token file is checked for changes. */
const CHECK_INTERVAL_MS = 500;

/** What identifies one version of the file: a rename gives a new inode, an edit a new mtime or size. */
async function versionOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

export async function watchTokenFile(file: string, logger: Logger): Promise<TokenIndex> {
  // The version is taken before the read, so a change landing during the read is seen as a change.
  let loadedVersion = await versionOf(file);
  // A malformed file at start is fatal: serving with no tokens would look like every token was revoked.
  let current = await readTokenFile(file);
  logger.info({ file, tokens: current.length }, current.length === 0 ? 'no API tokens yet; create one with `errpulse token create`' : 'API tokens loaded');
  let checking = false;
  const check = async () => {
    const version = await versionOf(file);
    if (version === loadedVersion) return;
    loadedVersion = version;
    try {
      current = await readTokenFile(file);
      logger.info({ file, tokens: current.length }, 'API tokens reloaded');
    } catch (err) {
      // Keep serving the last good list; a half-edited file must not lock everyone out.
      logger.error({ err, file }, 'API token file unreadable; keeping the previous tokens');
    }
  };
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    check()
      .catch((err: unknown) => logger.error({ err, file }, 'cannot check the API token file'))
      .finally(() => (checking = false));
  }, CHECK_INTERVAL_MS);
  // The API's own server keeps the process alive, not this check.
  timer.unref();
  return {
    records: () => current,
    close: () => clearInterval(timer),
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
