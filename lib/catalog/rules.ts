// The classification rules behind the catalog, kept apart from catalog.json so that the generator
// (which writes the JSON) and the runtime API (which reads it) share one copy without a cycle.
// docs/catalog.md states each rule in one line; change both together.

export type Fault = 'client' | 'server' | 'unknown';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** One code of the guide, as catalog.json stores it (written by the generator, read by index.ts). */
export interface CatalogEntry {
  code: string;
  category: string;
  categorySlug: string;
  description: string;
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

/** Codes that mean the customer hit a plan, quota or rate limit. */
export const QUOTA_CODES: readonly string[] = Object.freeze([
  'ERR_PLAN_QUOTA_RESTRICTION',
  'ERR_PLAN_RESTRICTION',
  'ERR_TOO_MANY_REQUESTS',
  'ERR_SUBSCRIPTION_EXPIRED',
]);

/** Categories whose client errors lock a customer out of the platform. */
export const ACCESS_CATEGORIES: readonly string[] = Object.freeze(['Auth', 'API Key', 'Auth Token', 'Subscription']);

/** Severity of a code that is not in the catalog: we cannot tell, so it must not hide in `low`. */
export const UNKNOWN_SEVERITY: Severity = 'medium';

/**
 * Severity rule — critical: server fault in the realtime layer (ERR_WS) or ERR_MISSION_FAILED;
 * high: any other server fault; medium: client error in Auth, API Key, Auth Token or Subscription,
 * or a quota code; low: any other client error.
 */
export function severityOf(code: string, category: string): Severity {
  if (faultOf(code) === 'server') {
    return familyOf(code) === 'ERR_WS' || code === 'ERR_MISSION_FAILED' ? 'critical' : 'high';
  }
  return ACCESS_CATEGORIES.includes(category) || QUOTA_CODES.includes(code) ? 'medium' : 'low';
}

/** Stable URL/label-safe slug of a category name: "Block Users" → "block-users". */
export function slugOf(category: string): string {
  return category
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
