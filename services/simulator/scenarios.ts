// Incidents the simulator can inject on top of the baseline traffic, and the ground truth it reports
// about them (what, where, when), so that detection can be checked against what really happened.
import { CODE_PATTERN, familyOf, findEntry } from '../../lib/catalog/index.js';
import { createPrng, WeightedPicker } from './prng.js';
import { CODE_PROFILES, REGIONS, dailyRhythm, profileOf, type CodeProfile, type Region, type SimApp, type World } from './traffic-model.js';

export const SCENARIO_KINDS = [
  'ws-outage',
  'quota-exhaustion',
  'broken-api-keys',
  'server-faults',
  'unknown-code',
  'slow-ramp',
  'client-surge',
  'big-app-growth',
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Scenarios that must not alert: traffic that changes the way healthy traffic does. */
export const BENIGN_KINDS: ReadonlySet<ScenarioKind> = new Set(['big-app-growth']);

export const SCENARIO_DESCRIPTIONS: Readonly<Record<ScenarioKind, string>> = {
  'ws-outage': 'WebSocket layer failing in one region, spread thinly over every app there: ERR_WS_* from each app alike',
  'quota-exhaustion': 'a mid-size app runs out of its plan quota at its daily trough: ERR_PLAN_QUOTA_RESTRICTION and ERR_TOO_MANY_REQUESTS',
  'broken-api-keys': 'a small app ships a bad API key: AUTH_ERR_APIKEY_NOT_FOUND at about 0.1 errors/s from near zero',
  'server-faults': 'a burst of server faults (ERR_OPERATION_FAILED, ERR_EXCEPTION, …) across the platform',
  'unknown-code': `one app starts receiving a code the catalog has never seen`,
  'slow-ramp': 'a database slowly failing in one region: ERR_MISSION_FAILED rising linearly from zero over 40 minutes',
  'client-surge': 'a breaking rollout in one region: ERR_INVALID_API_VERSION from every app there',
  'big-app-growth': 'benign: the biggest app grows its traffic by half over a day, every code alike',
};

/**
 * Extra events per second of each incident as a fraction of the baseline rate, so incidents stand out
 * the same way at any --rate; never below MIN_INCIDENT_RATE. Quota exhaustion is a fraction of its
 * app's own rate and broken keys a fixed rate instead (see rateOf).
 */
const INCIDENT_INTENSITY: Readonly<Record<ScenarioKind, number>> = {
  'ws-outage': 0.03,
  'quota-exhaustion': 0.6,
  'broken-api-keys': 0,
  'server-faults': 0.1,
  'unknown-code': 0.03,
  'slow-ramp': 0.05,
  'client-surge': 0.08,
  'big-app-growth': 0.5,
};
export const MIN_INCIDENT_RATE = 0.1;
/** The broken key fails every call of a small app: about this many errors a second. */
export const BROKEN_KEY_RATE = 0.1;
/** The slow ramp reaches its full rate after this long. */
export const RAMP_MS = 40 * 60_000;
/** In a staggered run, an incident lasts at most this long (the ramp its ramp and as long again). */
const STAGGERED_LENGTH_MS: Readonly<Record<ScenarioKind, number>> = {
  'ws-outage': 20 * 60_000,
  'quota-exhaustion': 30 * 60_000,
  'broken-api-keys': 20 * 60_000,
  'server-faults': 15 * 60_000,
  'unknown-code': 20 * 60_000,
  'slow-ramp': RAMP_MS + 10 * 60_000,
  'client-surge': 20 * 60_000,
  'big-app-growth': 24 * 3_600_000,
};

/** The never-seen code of the unknown-code scenario: well-formed, in a family the catalog lacks too. */
export const NEVER_SEEN_CODE = 'ERR_RELAY_QUEUE_STALLED';
if (findEntry(NEVER_SEEN_CODE) !== undefined || !CODE_PATTERN.test(NEVER_SEEN_CODE)) {
  throw new Error(`${NEVER_SEEN_CODE} must be a well-formed code missing from the catalog`);
}
const NEVER_SEEN_PROFILE: CodeProfile = {
  ...profileOf(NEVER_SEEN_CODE, 'unknown', 'unknown', 'Relay queue stalled; the request was dropped.'),
  httpStatus: 502,
  medianLatencyMs: 3000,
};

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** `all`, `none`, or a comma-separated list of scenario kinds. */
export function parseScenarios(text: string): ScenarioKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...SCENARIO_KINDS];
  if (names.length === 1 && names[0] === 'none') return [];
  const unknown = names.filter((n) => !(SCENARIO_KINDS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    const what = names.length === 0 ? 'no scenario given' : `unknown scenario ${unknown.map((u) => JSON.stringify(u)).join(', ')}`;
    throw new ScenarioError(`${what}; use all, none, or a comma-separated list of: ${SCENARIO_KINDS.join(', ')}`);
  }
  return SCENARIO_KINDS.filter((k) => names.includes(k));
}

export interface IncidentScope {
  apps: string[];
  regions: Region[];
  codes: string[];
  families: string[];
}

/**
 * The alert labels a detection of this incident carries (the detector's scope labels: region, app_id,
 * kind, category, code). An alert matches the incident when it has each of these labels with this value;
 * `absent` labels must be empty on it (a region-wide incident is not "found" as one app).
 */
export interface ExpectedScope {
  labels: Record<string, string>;
  absent: string[];
  /** The rule that should page for it (dashboards/alerts), or null for a benign scenario. */
  rule: string | null;
}

/** An incident as reported in the truth file. */
export interface IncidentTruth {
  /** Unique in the run: the kind, and a number when the kind repeats. */
  id: string;
  kind: ScenarioKind;
  /** A benign scenario must raise no alert; an incident must raise one. */
  benign: boolean;
  description: string;
  scope: IncidentScope;
  expected: ExpectedScope;
  start: string;
  end: string;
  /** The rate at full strength (a ramp reaches it after RAMP_MS). */
  eventsPerSecond: number;
}

/** An incident as the generator runs it. */
export interface Incident {
  id: string;
  kind: ScenarioKind;
  description: string;
  scope: IncidentScope;
  expected: ExpectedScope;
  startMs: number;
  endMs: number;
  eventsPerSecond: number;
  /** Events per second at a moment inside [startMs, endMs). */
  rateAt(timeMs: number): number;
  sources: WeightedPicker<IncidentSource>;
  /** Codes per source; undefined: the `codes` picker for every source. */
  codes: WeightedPicker<CodeProfile> | undefined;
}

export interface IncidentSource {
  app: SimApp;
  region: Region;
}

export interface IncidentPlanOptions {
  seed: number;
  baselineRate: number;
  startMs: number;
  endMs: number;
  /**
   * One incident after another, each in its own share of [startMs, endMs) and at most its kind's usual
   * length, so that a backtest scores each alone; otherwise all of them at once over the whole period.
   */
  stagger?: boolean;
  /** The daily swing of the traffic, for choosing the quota app at its trough. */
  dailyAmplitude?: number;
}

const KIND_OF_SCENARIO: Readonly<Record<ScenarioKind, ExpectedScope['labels'] | null>> = {
  'ws-outage': { kind: 'server_failure', category: 'Websocket' },
  'quota-exhaustion': { kind: 'limit' },
  'broken-api-keys': { kind: 'auth' },
  'server-faults': { kind: 'server_failure' },
  'unknown-code': {},
  'slow-ramp': { kind: 'server_failure' },
  'client-surge': { kind: 'invalid_input' },
  'big-app-growth': null,
};

const RULE_OF_SCENARIO: Readonly<Record<ScenarioKind, string | null>> = {
  'ws-outage': 'errpulse-server-failures',
  'quota-exhaustion': 'errpulse-quota-exhaustion',
  'broken-api-keys': 'errpulse-auth-failure-surge',
  'server-faults': 'errpulse-server-failures',
  'unknown-code': 'errpulse-unknown-code',
  'slow-ramp': 'errpulse-server-failures',
  'client-surge': 'errpulse-region-surge',
  'big-app-growth': null,
};

/** Where and how each chosen incident strikes; the choices depend on the seed only. */
export function planIncidents(world: World, kinds: readonly ScenarioKind[], o: IncidentPlanOptions): Incident[] {
  if (!(o.endMs > o.startMs)) throw new RangeError('an incident must end after it starts');
  const rng = createPrng(o.seed, 3);
  const n = world.apps.length;
  // Single-app incidents hit different apps of the size the issue names, chosen by the seed.
  const shuffle = <T>(items: readonly T[]) => items.map((a) => [rng.next(), a] as const).sort((x, y) => x[0] - y[0]).map(([, a]) => a);
  const midSize = shuffle(world.apps.slice(Math.min(3, n - 1), Math.max(Math.min(12, n), 1)));
  const small = shuffle(world.apps.slice(Math.floor((2 * n) / 3)));
  const used = new Set<string>();
  const take = (pool: readonly SimApp[], prefer: (a: SimApp) => number = () => 0): SimApp => {
    const free = pool.filter((a) => !used.has(a.id));
    const candidates = free.length > 0 ? free : pool.length > 0 ? pool : world.apps;
    const app = [...candidates].sort((a, b) => prefer(a) - prefer(b))[0]!;
    used.add(app.id);
    return app;
  };
  const regions = shuffle(REGIONS);
  const slotMs = (o.endMs - o.startMs) / Math.max(1, kinds.length);

  return kinds.map((kind, index) => {
    // Staggered incidents start on whole minutes, as the rollups and the alert evaluations count them.
    const startMs = o.stagger ? Math.floor((o.startMs + index * slotMs) / 60_000) * 60_000 : o.startMs;
    const endMs = o.stagger ? Math.min(Math.floor((o.startMs + (index + 1) * slotMs) / 60_000) * 60_000, startMs + STAGGERED_LENGTH_MS[kind]) : o.endMs;
    const target = targetOf(kind, {
      world,
      region: regions[index % regions.length]!,
      midSizeAtTrough: () => take(midSize, (a) => dailyRhythm(homeRegion(a), startMs, o.dailyAmplitude)),
      small: () => take(small),
      midSize: () => take(midSize),
      largest: () => world.apps[0]!,
    });
    const full = fullRate(kind, target, o.baselineRate, startMs, o.dailyAmplitude);
    const rateAt =
      kind === 'slow-ramp'
        ? (t: number) => full * Math.min(1, Math.max(0, (t - startMs) / RAMP_MS))
        : kind === 'big-app-growth'
          ? (t: number) => full * Math.max(0, (t - startMs) / 86_400_000) * appRhythm(target.app!, t, o.dailyAmplitude)
          : () => full;
    const codeList = [...new Set((target.codes ?? target.app!.codes).items.map((p) => p.code))];
    const scope: IncidentScope = {
      apps: [...new Set(target.sources.items.map((s) => s.app.id))],
      regions: REGIONS.filter((r) => target.sources.items.some((s) => s.region === r)),
      codes: codeList,
      families: [...new Set(codeList.map(familyOf))],
    };
    return {
      id: kinds.indexOf(kind) === index ? kind : `${kind}-${index}`,
      kind,
      description: SCENARIO_DESCRIPTIONS[kind],
      scope,
      expected: expectedOf(kind, target, scope),
      startMs,
      endMs,
      eventsPerSecond: Math.round(full * 1000) / 1000,
      rateAt,
      sources: target.sources,
      codes: target.codes,
    };
  });
}

/** An app's share of the baseline at a moment: its volume, spread over its regions' daily rhythms. */
function appRhythm(app: SimApp, t: number, amplitude: number | undefined): number {
  return REGIONS.reduce((sum, r) => sum + app.volumeShare * app.regionShares[r] * dailyRhythm(r, t, amplitude), 0);
}

function homeRegion(app: SimApp): Region {
  return REGIONS.reduce((best, r) => (app.regionShares[r] > app.regionShares[best] ? r : best), REGIONS[0]);
}

interface Target {
  sources: WeightedPicker<IncidentSource>;
  /** undefined: each source app's own code mix (benign growth). */
  codes: WeightedPicker<CodeProfile> | undefined;
  app?: SimApp;
  region?: Region;
}

interface Choosers {
  world: World;
  region: Region;
  midSizeAtTrough: () => SimApp;
  small: () => SimApp;
  midSize: () => SimApp;
  largest: () => SimApp;
}

function fullRate(kind: ScenarioKind, target: Target, baselineRate: number, startMs: number, amplitude: number | undefined): number {
  switch (kind) {
    case 'broken-api-keys':
      return BROKEN_KEY_RATE;
    case 'quota-exhaustion': {
      // Every call over the quota fails: a share of the app's own traffic at that hour.
      const app = target.app!;
      return Math.max(MIN_INCIDENT_RATE, INCIDENT_INTENSITY[kind] * baselineRate * app.volumeShare * dailyRhythm(homeRegion(app), startMs, amplitude));
    }
    case 'big-app-growth':
      // Multiplied by the elapsed share of a day and the app's current rate in rateAt.
      return INCIDENT_INTENSITY[kind] * baselineRate;
    default:
      return Math.max(MIN_INCIDENT_RATE, INCIDENT_INTENSITY[kind] * baselineRate);
  }
}

function expectedOf(kind: ScenarioKind, target: Target, scope: IncidentScope): ExpectedScope {
  const labels = KIND_OF_SCENARIO[kind];
  const rule = RULE_OF_SCENARIO[kind];
  if (labels === null) return { labels: {}, absent: [], rule: null };
  switch (kind) {
    case 'unknown-code':
      return { labels: { code: scope.codes[0]! }, absent: [], rule };
    case 'quota-exhaustion':
    case 'broken-api-keys':
      return { labels: { ...labels, app_id: target.app!.id }, absent: [], rule };
    case 'server-faults':
      return { labels, absent: ['app_id', 'region'], rule };
    default:
      return { labels: { ...labels, region: target.region! }, absent: ['app_id'], rule };
  }
}

function profiles(predicate: (p: CodeProfile) => boolean, weight: (p: CodeProfile) => number = () => 1): WeightedPicker<CodeProfile> {
  return new WeightedPicker([...CODE_PROFILES.values()].filter(predicate).map((p) => [p, weight(p)] as const));
}

function sourcesOfApp(app: SimApp): WeightedPicker<IncidentSource> {
  return new WeightedPicker(REGIONS.map((region) => [{ app, region }, app.regionShares[region]] as const));
}

/** Every app with traffic in the regions, by volume (`evenly`: each app alike, however big). */
function sourcesOf(world: World, regions: readonly Region[], evenly = false): WeightedPicker<IncidentSource> {
  return new WeightedPicker(
    world.apps.flatMap((app) => regions.map((region) => [{ app, region }, app.regionShares[region] * (evenly ? 1 : app.volumeShare)] as const)),
  );
}

function targetOf(kind: ScenarioKind, c: Choosers): Target {
  switch (kind) {
    case 'ws-outage':
      return {
        // Evenly: the thin spread is the hard case, no app stands out, only the region does.
        sources: sourcesOf(c.world, [c.region], true),
        // Connection set-up fails first and most often when the layer is down.
        codes: profiles((p) => p.code.startsWith('ERR_WS_'), (p) => (/INIT_FAILED$/.test(p.code) ? 3 : 1)),
        region: c.region,
      };
    case 'quota-exhaustion': {
      const app = c.midSizeAtTrough();
      return {
        sources: sourcesOfApp(app),
        codes: profiles(
          (p) => p.code === 'ERR_PLAN_QUOTA_RESTRICTION' || p.code === 'ERR_TOO_MANY_REQUESTS',
          (p) => (p.code === 'ERR_PLAN_QUOTA_RESTRICTION' ? 3 : 1),
        ),
        app,
      };
    }
    case 'broken-api-keys': {
      const app = c.small();
      return { sources: sourcesOfApp(app), codes: profiles((p) => p.code === 'AUTH_ERR_APIKEY_NOT_FOUND'), app };
    }
    case 'server-faults':
      return {
        sources: sourcesOf(c.world, REGIONS),
        codes: profiles((p) => p.fault === 'server' && !p.code.startsWith('ERR_WS_')),
      };
    case 'unknown-code': {
      const app = c.midSize();
      return { sources: sourcesOfApp(app), codes: new WeightedPicker([[NEVER_SEEN_PROFILE, 1]]), app };
    }
    case 'slow-ramp':
      return { sources: sourcesOf(c.world, [c.region]), codes: profiles((p) => p.code === 'ERR_MISSION_FAILED'), region: c.region };
    case 'client-surge':
      return { sources: sourcesOf(c.world, [c.region]), codes: profiles((p) => p.code === 'ERR_INVALID_API_VERSION'), region: c.region };
    case 'big-app-growth': {
      const app = c.largest();
      return { sources: sourcesOfApp(app), codes: undefined, app };
    }
  }
}

export function truthOf(incident: Incident): IncidentTruth {
  return {
    id: incident.id,
    kind: incident.kind,
    benign: BENIGN_KINDS.has(incident.kind),
    description: incident.description,
    scope: incident.scope,
    expected: incident.expected,
    start: new Date(incident.startMs).toISOString(),
    end: new Date(incident.endMs).toISOString(),
    eventsPerSecond: incident.eventsPerSecond,
  };
}
