// Incidents the simulator can inject on top of the baseline traffic, and the ground truth it reports
// about them (what, where, when), so that detection can be checked against what really happened.
import { CODE_PATTERN, familyOf, findEntry } from '../../lib/catalog/index.js';
import { createPrng, WeightedPicker } from './prng.js';
import { CODE_PROFILES, REGIONS, profileOf, type CodeProfile, type Region, type SimApp, type World } from './traffic-model.js';

export const SCENARIO_KINDS = ['ws-outage', 'quota-exhaustion', 'broken-api-keys', 'server-faults', 'unknown-code'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

export const SCENARIO_DESCRIPTIONS: Readonly<Record<ScenarioKind, string>> = {
  'ws-outage': 'WebSocket layer down in one region: ERR_WS_* from every app there',
  'quota-exhaustion': 'one app runs out of its plan quota: ERR_PLAN_QUOTA_RESTRICTION and ERR_TOO_MANY_REQUESTS',
  'broken-api-keys': 'one app ships a bad API key: an AUTH_ERR_APIKEY_NOT_FOUND surge',
  'server-faults': 'a burst of server faults (ERR_OPERATION_FAILED, ERR_EXCEPTION, …) across the platform',
  'unknown-code': `one app starts receiving a code the catalog has never seen`,
};

/**
 * Extra events per second of each incident as a fraction of the baseline rate, so incidents stand out
 * the same way at any --rate; never below MIN_INCIDENT_RATE so that a slow demo still crosses the spike
 * detector's minimum count (20 events in 5 minutes).
 */
const INCIDENT_INTENSITY: Readonly<Record<ScenarioKind, number>> = {
  'ws-outage': 0.2,
  'quota-exhaustion': 0.1,
  'broken-api-keys': 0.1,
  'server-faults': 0.1,
  'unknown-code': 0.03,
};
export const MIN_INCIDENT_RATE = 0.2;

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

/** An incident as reported in the truth file. */
export interface IncidentTruth {
  kind: ScenarioKind;
  description: string;
  scope: IncidentScope;
  start: string;
  end: string;
  eventsPerSecond: number;
}

/** An incident as the generator runs it. */
export interface Incident {
  kind: ScenarioKind;
  description: string;
  scope: IncidentScope;
  startMs: number;
  endMs: number;
  eventsPerSecond: number;
  sources: WeightedPicker<IncidentSource>;
  codes: WeightedPicker<CodeProfile>;
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
}

/** Where and how each chosen incident strikes; the choices depend on the seed only. */
export function planIncidents(world: World, kinds: readonly ScenarioKind[], o: IncidentPlanOptions): Incident[] {
  if (!(o.endMs > o.startMs)) throw new RangeError('an incident must end after it starts');
  const rng = createPrng(o.seed, 3);
  // Incidents that hit one app hit different large apps, so they do not mask each other.
  const candidates = world.apps.slice(0, Math.min(10, world.apps.length));
  const shuffled = candidates.map((a) => [rng.next(), a] as const).sort((x, y) => x[0] - y[0]).map(([, a]) => a);
  let nextApp = 0;
  const takeApp = () => shuffled[nextApp++ % shuffled.length]!;
  const outageRegion = REGIONS[rng.int(REGIONS.length)]!;

  return kinds.map((kind) => {
    const eventsPerSecond = Math.max(MIN_INCIDENT_RATE, INCIDENT_INTENSITY[kind] * o.baselineRate);
    const { sources, codes } = targetsOf(kind, world, takeApp, outageRegion);
    const codeList = [...new Set(codes.items.map((p) => p.code))];
    return {
      kind,
      description: SCENARIO_DESCRIPTIONS[kind],
      scope: {
        apps: [...new Set(sources.items.map((s) => s.app.id))],
        regions: REGIONS.filter((r) => sources.items.some((s) => s.region === r)),
        codes: codeList,
        families: [...new Set(codeList.map(familyOf))],
      },
      startMs: o.startMs,
      endMs: o.endMs,
      eventsPerSecond: Math.round(eventsPerSecond * 1000) / 1000,
      sources,
      codes,
    };
  });
}

function profiles(predicate: (p: CodeProfile) => boolean, weight: (p: CodeProfile) => number = () => 1): WeightedPicker<CodeProfile> {
  return new WeightedPicker([...CODE_PROFILES.values()].filter(predicate).map((p) => [p, weight(p)] as const));
}

function sourcesOfApp(app: SimApp): WeightedPicker<IncidentSource> {
  return new WeightedPicker(REGIONS.map((region) => [{ app, region }, app.regionShares[region]] as const));
}

function sourcesOf(world: World, regions: readonly Region[]): WeightedPicker<IncidentSource> {
  return new WeightedPicker(world.apps.flatMap((app) => regions.map((region) => [{ app, region }, app.volumeShare * app.regionShares[region]] as const)));
}

function targetsOf(
  kind: ScenarioKind,
  world: World,
  takeApp: () => SimApp,
  outageRegion: Region,
): { sources: WeightedPicker<IncidentSource>; codes: WeightedPicker<CodeProfile> } {
  switch (kind) {
    case 'ws-outage':
      return {
        sources: sourcesOf(world, [outageRegion]),
        // Connection set-up fails first and most often when the layer is down.
        codes: profiles((p) => p.code.startsWith('ERR_WS_'), (p) => (/INIT_FAILED$/.test(p.code) ? 3 : 1)),
      };
    case 'quota-exhaustion':
      return {
        sources: sourcesOfApp(takeApp()),
        codes: profiles(
          (p) => p.code === 'ERR_PLAN_QUOTA_RESTRICTION' || p.code === 'ERR_TOO_MANY_REQUESTS',
          (p) => (p.code === 'ERR_PLAN_QUOTA_RESTRICTION' ? 3 : 1),
        ),
      };
    case 'broken-api-keys':
      return { sources: sourcesOfApp(takeApp()), codes: profiles((p) => p.code === 'AUTH_ERR_APIKEY_NOT_FOUND') };
    case 'server-faults':
      return {
        sources: sourcesOf(world, REGIONS),
        codes: profiles((p) => p.fault === 'server' && !p.code.startsWith('ERR_WS_')),
      };
    case 'unknown-code':
      return { sources: sourcesOfApp(takeApp()), codes: new WeightedPicker([[NEVER_SEEN_PROFILE, 1]]) };
  }
}

export function truthOf(incident: Incident): IncidentTruth {
  return {
    kind: incident.kind,
    description: incident.description,
    scope: incident.scope,
    start: new Date(incident.startMs).toISOString(),
    end: new Date(incident.endMs).toISOString(),
    eventsPerSecond: incident.eventsPerSecond,
  };
}
