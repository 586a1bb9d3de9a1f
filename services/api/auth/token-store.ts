// API tokens on disk: the file named by API_TOKENS_FILE holds, per token, a name, a scope and the
// sha256 of the token, never the token itself. `errpulse token create` prints a token once; whoever
// reads the file later learns nothing that lets them call the API.
//
// Why a plain sha256 and not bcrypt/scrypt: those slow hashes exist to protect low-entropy passwords
// from guessing. Our tokens are 32 random bytes (256 bits), so guessing one from its hash is infeasible
// with any hash, and a fast hash lets every request be checked in microseconds.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import lockfile from 'proper-lockfile';
import { API_ERROR_EVENT_V1_SCHEMA } from '../../../lib/contract/index.js';

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** App IDs follow the event contract, so a scope can name exactly the apps that events carry. */
export const APP_ID_PATTERN = new RegExp(API_ERROR_EVENT_V1_SCHEMA.properties.appId.pattern);

/** Tokens start with this, so they are recognisable in logs and secret scanners. */
export const TOKEN_PREFIX = 'ep_';
const TOKEN_BYTES = 32;

const TokenRecordSchema = Type.Object({
  name: Type.String({ pattern: TOKEN_NAME_PATTERN.source }),
  /** "sha256:" + hex digest of the whole token string. */
  hash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
  /** null: every app. Otherwise the only apps this token may see. */
  apps: Type.Union([Type.Null(), Type.Array(Type.String({ pattern: APP_ID_PATTERN.source }), { minItems: 1 })]),
  createdAt: Type.String(),
});

const TokenFileSchema = Type.Object({
  version: Type.Literal(1),
  tokens: Type.Array(TokenRecordSchema),
});

export type TokenRecord = Static<typeof TokenRecordSchema>;
type TokenFile = Static<typeof TokenFileSchema>;

export class TokenStoreError extends Error {
  override name = 'TokenStoreError';
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** Reads the token file; a missing file is an empty store, a malformed one is an error naming the file. */
export async function readTokenFile(file: string): Promise<TokenRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new TokenStoreError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  if (!Value.Check(TokenFileSchema, parsed)) {
    const first = Value.Errors(TokenFileSchema, parsed).First();
    throw new TokenStoreError(`${file} is not an errpulse token file: ${first ? `${first.path || '/'} ${first.message}` : 'bad shape'}`);
  }
  const names = new Set<string>();
  for (const record of parsed.tokens) {
    if (names.has(record.name)) throw new TokenStoreError(`${file} has two tokens named '${record.name}'`);
    names.add(record.name);
  }
  return parsed.tokens;
}

/**
 * Replaces the file in one rename, so a reader (the API reloading it) sees the old or the new list,
 * never half of one. Owner-only permissions: hashes are not secrets, but scopes are nobody else's business.
 */
async function writeTokenFile(file: string, tokens: TokenRecord[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const body: TokenFile = { version: 1, tokens };
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/**
 * Runs a read-modify-write of the token file under an exclusive lock (a `<file>.lock` directory, which
 * proper-lockfile creates atomically and treats as stale once its holder stops refreshing it), so two
 * `errpulse token create` at once both land instead of the second rename dropping the first's token.
 */
async function withTokenFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(file), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: `${file}.lock`,
      stale: 10_000,
      // Each holder keeps the lock for milliseconds; twenty waiting processes are done in well under a second.
      retries: { retries: 100, minTimeout: 10, maxTimeout: 250, randomize: true },
    });
  } catch (err) {
    throw new TokenStoreError(`cannot lock ${file} (${(err as Error).message}); is another errpulse token command stuck?`);
  }
  try {
    return await work();
  } finally {
    await release();
  }
}

export interface CreateTokenOptions {
  name: string;
  /** Omitted or empty: the token sees every app. */
  apps?: string[];
}

export async function createToken(file: string, opts: CreateTokenOptions): Promise<{ token: string; record: TokenRecord }> {
  if (!TOKEN_NAME_PATTERN.test(opts.name)) {
    throw new TokenStoreError(`token name must be 1–64 characters from [A-Za-z0-9._-] (got ${JSON.stringify(opts.name)})`);
  }
  const apps = opts.apps && opts.apps.length > 0 ? [...new Set(opts.apps)] : null;
  for (const app of apps ?? []) {
    if (!APP_ID_PATTERN.test(app)) throw new TokenStoreError(`app ID must match ${APP_ID_PATTERN.source} (got ${JSON.stringify(app)})`);
  }
  return withTokenFileLock(file, async () => {
    const tokens = await readTokenFile(file);
    if (tokens.some((t) => t.name === opts.name)) {
      throw new TokenStoreError(`a token named '${opts.name}' exists already; revoke it first or pick another name`);
    }
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const record: TokenRecord = { name: opts.name, hash: hashToken(token), apps, createdAt: new Date().toISOString() };
    await writeTokenFile(file, [...tokens, record]);
    return { token, record };
  });
}

export async function listTokens(file: string): Promise<TokenRecord[]> {
  return readTokenFile(file);
}

/** Removes the named token; false when there was none of that name. */
export async function revokeToken(file: string, name: string): Promise<boolean> {
  return withTokenFileLock(file, async () => {
    const tokens = await readTokenFile(file);
    const kept = tokens.filter((t) => t.name !== name);
    if (kept.length === tokens.length) return false;
    await writeTokenFile(file, kept);
    return true;
  });
}

export interface Principal {
  /** The token's name: what logs and the rate limiter know the caller by. */
  name: string;
  /** null: every app. */
  apps: readonly string[] | null;
}

/**
 * Finds the record a presented token belongs to. Every stored hash is compared, with a constant-time
 * comparison and no early exit, so the time taken says nothing about how close a guess came.
 */
export function matchToken(records: readonly TokenRecord[], presented: string): Principal | undefined {
  const digest = Buffer.from(hashToken(presented), 'utf8');
  let found: TokenRecord | undefined;
  for (const record of records) {
    const stored = Buffer.from(record.hash, 'utf8');
    if (stored.length === digest.length && timingSafeEqual(stored, digest) && found === undefined) found = record;
  }
  return found && { name: found.name, apps: found.apps };
}
