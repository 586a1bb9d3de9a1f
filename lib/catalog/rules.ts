// The classification rules behind the catalog, kept apart from catalog.json so that the generator
// (which writes the JSON) and the runtime API (which reads it) share one copy without a cycle.
// docs/catalog.md states each rule in one line; change both together.

export type Fault = 'client' | 'server' | 'unknown';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * What went wrong, one reviewed value per code (catalog.json), a closed vocabulary. The subject is the
 * category; the kind is the failure, so "server failures in Websocket" and "limits in Subscription"
 * read as sentences. docs/catalog.md lists each kind with its codes; change both together.
 */
export const KINDS = Object.freeze([
  'not_found',
  'missing_input',
  'invalid_input',
  'conflict',
  'permission',
  'auth',
  'limit',
  'server_failure',
] as const);
export type Kind = (typeof KINDS)[number];

/** The kind of a code the catalog does not list: never one of KINDS, so it cannot join a kind's panels or rules unreviewed. */
export const UNKNOWN_KIND = 'unknown';
/** A kind as stored and queried: a catalog kind, or `unknown` for a code the catalog lacks. */
export type KindOrUnknown = Kind | typeof UNKNOWN_KIND;

/** One line per kind, for docs, the CLI, the API's catalog and alert texts. */
export const KIND_DESCRIPTIONS: Readonly<Record<Kind, { label: string; meaning: string }>> = Object.freeze({
  not_found: { label: 'not found', meaning: 'the thing the request names does not exist (user, group, message, key, endpoint, …)' },
  missing_input: { label: 'missing input', meaning: 'a required field of the request is empty' },
  invalid_input: {
    label: 'invalid input',
    meaning: 'the request is malformed or can never succeed: a wrong type or value, a mismatched thread, an action on oneself',
  },
  conflict: {
    label: 'conflict',
    meaning: 'the request contradicts the current state: already exists, joined, banned or friends; same value; busy; a call in the wrong status',
  },
  permission: {
    label: 'permission',
    meaning: 'the caller is identified but not allowed: no access or scope, not a member or participant, banned, blocked, protected',
  },
  auth: { label: 'authentication', meaning: 'the app ID, API key or auth token of the request is missing, wrong, or bound to someone else' },
  limit: { label: 'limit', meaning: 'a plan, quota, subscription, rate or capacity limit was reached' },
  server_failure: {
    label: 'server failure',
    meaning: 'the platform failed: a failed operation, a fatal error or timeout, an unhandled exception, a WebSocket server failure',
  },
});

const KIND_SET: ReadonlySet<string> = new Set(KINDS);
export function isKind(value: string): value is Kind {
  return KIND_SET.has(value);
}

/** One code of the guide, as catalog.json stores it (written by the generator, read by index.ts). */
export interface CatalogEntry {
  code: string;
  category: string;
  categorySlug: string;
  description: string;
  /** Reviewed by a person: the generator only proposes a kind for a code it has not seen before. */
  kind: Kind;
  /** Deprecated: the first two tokens of the code; kept for one release (docs/decisions/0006). */
  family: string;
  fault: 'client' | 'server';
  severity: Severity;
}

/** An error code as the platform emits it: upper-case tokens joined by `_`, at least two tokens. */
export const CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

/** Family of a code that does not look like an error code at all (empty, lower-case, one token). */
export const MALFORMED_FAMILY = 'UNKNOWN';

/**
 * Where the first-two-tokens rule splits one idea across two spellings. Every family stays a literal
 * string prefix of its codes (ERR_CALLING_SELF starts with ERR_CALL, ERR_AUTHTOKEN_* with ERR_AUTH),
 * so `LIKE 'ERR_CALL%'` style filters keep working.
 */
const FAMILY_ALIASES: ReadonlyMap<string, string> = new Map([
  ['ERR_CALLING', 'ERR_CALL'],
  ['ERR_AUTHTOKEN', 'ERR_AUTH'],
]);

/**
 * Family rule: the first two `_`-separated tokens of the code (AUTH_ERR_NO_ACCESS → AUTH_ERR,
 * ERR_WS_INIT_FAILED → ERR_WS), then the alias table. Works the same for codes the guide does not
 * list yet, which is the point: a new ERR_WS_SOMETHING still lands in ERR_WS.
 */
export function familyOf(code: string): string {
  if (!CODE_PATTERN.test(code)) return MALFORMED_FAMILY;
  const first = code.indexOf('_');
  const second = code.indexOf('_', first + 1);
  const prefix = second === -1 ? code : code.slice(0, second);
  return FAMILY_ALIASES.get(prefix) ?? prefix;
}

/** Server-side failures whose names do not say FAILED. */
const SERVER_CODES: ReadonlySet<string> = new Set(['ERR_EXCEPTION', 'ERR_BAD_ERROR_RESPONSE']);

/**
 * Fault rule: server for the websocket layer (ERR_WS_*), for every code with a FAILED token
 * (ERR_MISSION_FAILED, ERR_OPERATION_FAILED, ERR_FAILED_TO_ADD_FRIEND, …) and for
 * ERR_EXCEPTION / ERR_BAD_ERROR_RESPONSE; client otherwise.
 */
export function faultOf(code: string): 'client' | 'server' {
  if (code.startsWith('ERR_WS_') || SERVER_CODES.has(code)) return 'server';
  return code.split('_').includes('FAILED') ? 'server' : 'client';
}

/**
 * The generator's first guess at the kind of a code it has not seen, from the code's tokens; a person
 * reviews it in the catalog.json diff. Reviewed kinds are never overwritten by this guess.
 */
export function proposeKind(code: string): Kind {
  const tokens = new Set(code.split('_'));
  const has = (...words: string[]) => words.some((w) => tokens.has(w));
  if (faultOf(code) === 'server') return 'server_failure';
  if (code.startsWith('AUTH_ERR_') && !code.endsWith('NO_ACCESS')) return 'auth';
  if (code.includes('NOT_FOUND')) return 'not_found';
  if (has('EMPTY')) return 'missing_input';
  if (has('PLAN', 'QUOTA', 'SUBSCRIPTION', 'VACANCY') || code.includes('TOO_MANY')) return 'limit';
  if (has('ALREADY', 'BUSY', 'SAME')) return 'conflict';
  if (has('ACCESS', 'ACCESSIBLE', 'MEMBER', 'BANNED', 'BLOCKED', 'CLEARANCE', 'SCOPE', 'DENIED', 'ALLOWED')) return 'permission';
  return 'invalid_input';
}

/** Categories whose client errors lock a customer out of the platform. */
export const ACCESS_CATEGORIES: readonly string[] = Object.freeze(['Auth', 'API Key', 'Auth Token', 'Subscription']);

/** Severity of a code that is not in the catalog: we cannot tell, so it must not hide in `low`. */
export const UNKNOWN_SEVERITY: Severity = 'medium';

/**
 * Severity rule — critical: server fault in the realtime layer (ERR_WS_*) or ERR_MISSION_FAILED;
 * high: any other server fault; medium: client error in Auth, API Key, Auth Token or Subscription,
 * or of kind limit; low: any other client error.
 */
export function severityOf(code: string, category: string, kind: Kind): Severity {
  if (faultOf(code) === 'server') {
    return code.startsWith('ERR_WS_') || code === 'ERR_MISSION_FAILED' ? 'critical' : 'high';
  }
  return ACCESS_CATEGORIES.includes(category) || kind === 'limit' ? 'medium' : 'low';
}

/** Stable URL/label-safe slug of a category name: "Block Users" → "block-users". */
export function slugOf(category: string): string {
  return category
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
