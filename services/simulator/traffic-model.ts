// The simulated platform: which apps exist and how much each sends, where their traffic comes from,
// which error codes they hit and what the failed requests look like. Weights are derived from the
// catalog (category, fault, the words in the code) instead of a hand-written list of 116 codes, so a
// new code in the guide shows up in the simulation with a plausible weight.
import { CATALOG, CATEGORIES, type CatalogEntry } from '../../lib/catalog/index.js';
import { createPrng, WeightedPicker, type Prng } from './prng.js';

export const REGIONS = ['us', 'eu', 'in'] as const;
export type Region = (typeof REGIONS)[number];

/** Hour (UTC) of each region's busiest time: mid-afternoon local time. */
const PEAK_HOUR_UTC: Record<Region, number> = { us: 19, eu: 13, in: 8 };
/** Daily swing around the mean: the busiest hour has (1 + A)× and the quietest (1 − A)× the mean. */
export const DAILY_AMPLITUDE = 0.45;

/** Share of apps whose users are mostly in each region. */
const HOME_REGION_SHARE: Record<Region, number> = { us: 0.45, eu: 0.35, in: 0.2 };

/**
 * How much each category is used, relative to the others. Per-app factors vary this, so apps differ.
 * A category missing here (a new one in the guide) gets 1.
 */
const CATEGORY_ACTIVITY: Readonly<Record<string, number>> = {
  auth: 1.5,
  'api-key': 1,
  'auth-token': 1,
  subscription: 0.6,
  role: 0.6,
  user: 1.5,
  bots: 0.5,
  group: 1.2,
  message: 1,
  calling: 1,
  friends: 0.6,
  'block-users': 0.5,
  extension: 0.4,
  webhook: 0.4,
  general: 1.5,
  websocket: 1,
};

/** Exponent of the app volume distribution: app of rank k sends ∝ 1 / k^s. */
const ZIPF_EXPONENT = 1.1;

/**
 * How often a code of each kind occurs, relative to a plain client error: input validation and
 * lookups of things that do not exist dominate real error traffic; server faults are rare.
 */
export type CodeKind = 'server' | 'not-found' | 'validation' | 'conflict' | 'other-client';
const KIND_WEIGHT: Record<CodeKind, number> = {
  'not-found': 6,
  validation: 4,
  conflict: 2,
  'other-client': 1,
  server: 0.08,
};

export function codeKind(code: string, fault: 'client' | 'server' | 'unknown'): CodeKind {
  if (fault === 'server') return 'server';
  if (/(^|_)NOT_FOUND($|_)/.test(code)) return 'not-found';
  if (/(^|_)(EMPTY|INVALID|WRONG|BAD_REQUEST)($|_)/.test(code)) return 'validation';
  if (/(^|_)(ALREADY|BUSY|EXISTS)($|_)/.test(code)) return 'conflict';
  return 'other-client';
}

/** The HTTP status a failed request with this code plausibly answered. */
export function httpStatusFor(code: string, fault: 'client' | 'server' | 'unknown'): number {
  if (fault === 'server') return code.startsWith('ERR_WS_') ? 503 : 500;
  if (/TOO_MANY_REQUESTS|QUOTA/.test(code)) return 429;
  if (/SUBSCRIPTION_EXPIRED/.test(code)) return 402;
  if (code.startsWith('AUTH_ERR_') && !/NO_ACCESS/.test(code)) return 401;
  if (/(^|_)NOT_FOUND($|_)/.test(code)) return 404;
  if (/NO_ACCESS|NOT_ACCESSIBLE|DENIED|NOT_ALLOWED|NO_CLEARANCE|_SCOPE|BLOCKED|BANNED|NOT_A_|RESTRICTION|NO_SELF/.test(code)) return 403;
  if (/(^|_)(ALREADY|BUSY|EXISTS)($|_)/.test(code)) return 409;
  return 400;
}

/** A few endpoints per category; a code is served by one of them (chosen by a hash of its name). */
const ROUTES_BY_CATEGORY: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  auth: [['POST', '/v3/users/{uid}/auth_tokens'], ['GET', '/v3/users']],
  'api-key': [['GET', '/v3/apikeys'], ['DELETE', '/v3/apikeys/{apiKey}']],
  'auth-token': [['DELETE', '/v3/users/{uid}/auth_tokens/{authToken}'], ['GET', '/v3/users/{uid}/auth_tokens']],
  subscription: [['POST', '/v3/messages'], ['POST', '/v3/groups']],
  role: [['GET', '/v3/roles/{role}'], ['DELETE', '/v3/roles/{role}']],
  user: [['GET', '/v3/users/{uid}'], ['DELETE', '/v3/users/{uid}']],
  bots: [['GET', '/v3/bots/{uid}'], ['POST', '/v3/bots']],
  group: [['POST', '/v3/groups/{guid}/members'], ['GET', '/v3/groups/{guid}'], ['DELETE', '/v3/groups/{guid}/members/{uid}'], ['PUT', '/v3/groups/{guid}/members/{uid}']],
  message: [['POST', '/v3/messages'], ['GET', '/v3/users/{uid}/messages'], ['PUT', '/v3/messages/{id}'], ['DELETE', '/v3/messages/{id}']],
  calling: [['POST', '/v3/calls'], ['PUT', '/v3/calls/{sessionId}'], ['GET', '/v3/calls/{sessionId}']],
  friends: [['POST', '/v3/users/{uid}/friends'], ['DELETE', '/v3/users/{uid}/friends']],
  'block-users': [['POST', '/v3/users/{uid}/blockedusers'], ['POST', '/v3/messages']],
  extension: [['POST', '/v3/extensions/{extension}'], ['POST', '/v3/messages']],
  webhook: [['GET', '/v3/webhooks/{webhookId}'], ['POST', '/v3/messages']],
  general: [['GET', '/v3/users'], ['POST', '/v3/messages'], ['GET', '/v3/groups']],
  websocket: [['POST', '/v3/apps/{appId}/ws'], ['POST', '/v3/groups/{guid}/members']],
};
const FALLBACK_ROUTES: ReadonlyArray<readonly [string, string]> = [['POST', '/v3/messages'], ['GET', '/v3/users']];

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Everything the generator needs about one error code, computed once. */
export interface CodeProfile {
  code: string;
  categorySlug: string;
  fault: 'client' | 'server' | 'unknown';
  kind: CodeKind;
  httpStatus: number;
  method: string;
  route: string;
  message: string;
  /** Median latency of a request failing this way (ms). */
  medianLatencyMs: number;
}

export function profileOf(code: string, categorySlug: string, fault: CodeProfile['fault'], description: string): CodeProfile {
  const routes = ROUTES_BY_CATEGORY[categorySlug] ?? FALLBACK_ROUTES;
  const [method, route] = routes[stringHash(code) % routes.length]!;
  const kind = codeKind(code, fault);
  return {
    code,
    categorySlug,
    fault,
    kind,
    httpStatus: httpStatusFor(code, fault),
    method,
    route,
    message: description.split('\n')[0]!.trim(),
    medianLatencyMs: kind !== 'server' ? 35 : code.startsWith('ERR_WS_') ? 2500 : 900,
  };
}

export const CODE_PROFILES: ReadonlyMap<string, CodeProfile> = new Map(
  CATALOG.map((e: CatalogEntry) => [e.code, profileOf(e.code, e.categorySlug, e.fault, e.description)]),
);

export interface SimApp {
  id: string;
  /** Rank in volume, 1 = largest. */
  rank: number;
  /** Share of all baseline traffic. */
  volumeShare: number;
  /** Share of this app's traffic per region (sums to 1). */
  regionShares: Readonly<Record<Region, number>>;
  apiVersion: string;
  /** This app's code mix. */
  codes: WeightedPicker<CodeProfile>;
}

export interface World {
  apps: readonly SimApp[];
  /** Share of all baseline traffic per region, before the daily rhythm. */
  regionMass: Readonly<Record<Region, number>>;
  /** Given the region, which app a baseline event comes from. */
  appsInRegion: Readonly<Record<Region, WeightedPicker<SimApp>>>;
}

/**
 * The world does not depend on the seed: the same apps with the same volumes exist in every run, so
 * restarting `errpulse start` with a new seed continues the same history. The seed drives the events.
 */
const WORLD_SEED = 0x5eed_a995;

export const DEFAULT_APP_COUNT = 40;
export const MAX_APP_COUNT = 10_000;

export function createWorld(appCount: number = DEFAULT_APP_COUNT): World {
  if (!Number.isInteger(appCount) || appCount < 1 || appCount > MAX_APP_COUNT) {
    throw new RangeError(`the number of apps must be an integer between 1 and ${MAX_APP_COUNT}`);
  }
  const rng = createPrng(WORLD_SEED);
  const harmonic = Array.from({ length: appCount }, (_, i) => 1 / (i + 1) ** ZIPF_EXPONENT).reduce((a, b) => a + b, 0);
  const homePicker = new WeightedPicker(REGIONS.map((r) => [r, HOME_REGION_SHARE[r]] as const));
  const ids = new Set<string>();
  const apps: SimApp[] = [];
  for (let rank = 1; rank <= appCount; rank++) {
    let id: string;
    do id = `app-${rng.hex(3)}`;
    while (ids.has(id));
    ids.add(id);
    apps.push({
      id,
      rank,
      volumeShare: 1 / rank ** ZIPF_EXPONENT / harmonic,
      regionShares: regionSharesFor(homePicker.pick(rng), rng),
      apiVersion: rng.next() < 0.85 ? 'v3' : 'v2',
      codes: codeMixFor(rng),
    });
  }
  const regionMass = Object.fromEntries(REGIONS.map((r) => [r, apps.reduce((sum, a) => sum + a.volumeShare * a.regionShares[r], 0)])) as Record<Region, number>;
  const appsInRegion = Object.fromEntries(
    REGIONS.map((r) => [r, new WeightedPicker(apps.map((a) => [a, a.volumeShare * a.regionShares[r]] as const))]),
  ) as Record<Region, WeightedPicker<SimApp>>;
  return { apps, regionMass, appsInRegion };
}

function regionSharesFor(home: Region, rng: Prng): Record<Region, number> {
  const homeShare = 0.6 + 0.3 * rng.next();
  const others = REGIONS.filter((r) => r !== home);
  const split = rng.next();
  const shares = { [home]: homeShare } as Record<Region, number>;
  shares[others[0]!] = (1 - homeShare) * split;
  shares[others[1]!] = (1 - homeShare) * (1 - split);
  return shares;
}

function codeMixFor(rng: Prng): WeightedPicker<CodeProfile> {
  // Each app uses the product differently (one is all calls, another all groups): a log-normal factor
  // per category, drawn in guide order so the world stays the same for a given catalog.
  const usage = new Map(CATEGORIES.map((c) => [c.slug, Math.exp(0.6 * rng.normal())]));
  return new WeightedPicker(
    [...CODE_PROFILES.values()].map((p) => [p, (CATEGORY_ACTIVITY[p.categorySlug] ?? 1) * usage.get(p.categorySlug)! * KIND_WEIGHT[p.kind]] as const),
  );
}

/** A busiest hour three times the quietest one: the benign "3× daily rhythm" of the alert scenarios. */
export const THREEFOLD_AMPLITUDE = 0.5;

/** Relative traffic of a region at a moment: 1 on average over a day. */
export function dailyRhythm(region: Region, timeMs: number, amplitude: number = DAILY_AMPLITUDE): number {
  const hour = (timeMs / 3_600_000) % 24;
  return 1 + amplitude * Math.cos((2 * Math.PI * (hour - PEAK_HOUR_UTC[region])) / 24);
}

const SDKS = new WeightedPicker<string>([
  ['javascript/4.1.2', 0.35],
  ['android/4.1.0', 0.25],
  ['ios/4.1.1', 0.2],
  ['flutter/4.0.8', 0.08],
  ['react-native/4.0.6', 0.07],
  ['rest', 0.05],
]);

export function pickSdk(rng: Prng): string {
  return SDKS.pick(rng);
}

/** A user id: a few heavy users and a long tail (log-uniform over 1…5000). */
export function pickUid(rng: Prng): string {
  return `user_${Math.floor(Math.exp(rng.next() * Math.log(5000)))}`;
}

/** Log-normal around the code's median, to 0.1 ms. */
export function pickLatencyMs(profile: CodeProfile, rng: Prng): number {
  return Math.round(profile.medianLatencyMs * Math.exp(0.6 * rng.normal()) * 10) / 10;
}
