// Scores a backtest against the ground truth `errpulse simulate --truth` writes: which incidents an
// alert found and how fast, and which alerts matched no incident (false alerts, including any alert on
// a benign scenario). An alert matches an incident when it fired while the incident ran (or within
// MATCH_GRACE_MS after it ended) and names the incident's scope: the truth's expected labels with their
// values and its absent labels empty (a region-wide outage is not "found" as one app). Truth files
// without expected labels are matched on their scope lists instead (region, app, code, …).
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AlertEpisode, BacktestRange } from './backtest.js';

export const MATCH_GRACE_MS = 5 * 60_000;

const TruthIncident = Type.Object({
  id: Type.Optional(Type.String()),
  kind: Type.String(),
  scope: Type.Object({
    apps: Type.Array(Type.String()),
    regions: Type.Array(Type.String()),
    codes: Type.Array(Type.String()),
    families: Type.Array(Type.String()),
    categories: Type.Optional(Type.Array(Type.String())),
    kinds: Type.Optional(Type.Array(Type.String())),
  }),
  start: Type.String(),
  end: Type.String(),
  /** Traffic that must not alert (a benign scenario): any alert on it is a false alert. */
  benign: Type.Optional(Type.Boolean()),
  /** The labels a detection must carry (and those it must leave empty); older truth files lack it. */
  expected: Type.Optional(
    Type.Object({
      labels: Type.Record(Type.String(), Type.String()),
      absent: Type.Array(Type.String()),
      rule: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
const TruthFile = Type.Object({ incidents: Type.Array(TruthIncident) });
export type TruthIncident = Static<typeof TruthIncident>;

export class TruthFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TruthFileError';
  }
}

export async function readTruthFile(path: string): Promise<TruthIncident[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new TruthFileError(`cannot read the truth file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return truthIncidents(parsed, path);
}

export function truthIncidents(doc: unknown, where = 'truth'): TruthIncident[] {
  if (!Value.Check(TruthFile, doc)) {
    const first = [...Value.Errors(TruthFile, doc)][0];
    throw new TruthFileError(`${where} is not a truth file of \`errpulse simulate --truth\`: ${first ? `${first.path || '/'} ${first.message}` : 'wrong shape'}`);
  }
  for (const i of doc.incidents) if (Number.isNaN(Date.parse(i.start)) || Number.isNaN(Date.parse(i.end))) throw new TruthFileError(`${where}: incident ${i.kind} has an invalid start or end`);
  return doc.incidents;
}

/** Which list of the incident's scope a label is checked against. */
const SCOPE_OF_LABEL: Readonly<Record<string, (s: TruthIncident['scope']) => readonly string[] | undefined>> = {
  region: (s) => s.regions,
  app_id: (s) => s.apps,
  code: (s) => s.codes,
  family: (s) => s.families,
  category: (s) => s.categories,
  kind: (s) => s.kinds,
};

/**
 * Whether an alert's labels fit an incident's scope. An empty label (the detector's "every region") and
 * a label the scope says nothing about fit; otherwise the value must be one the incident touched.
 */
export function labelsFit(labels: Readonly<Record<string, string>>, scope: TruthIncident['scope']): boolean {
  return Object.entries(labels).every(([name, value]) => {
    const allowed = SCOPE_OF_LABEL[name]?.(scope);
    return value === '' || allowed === undefined || allowed.length === 0 || allowed.includes(value);
  });
}

/** The truth's expected scope: each expected label with its value, each absent label empty. */
export function labelsExpected(labels: Readonly<Record<string, string>>, expected: NonNullable<TruthIncident['expected']>): boolean {
  return Object.entries(expected.labels).every(([k, v]) => labels[k] === v) && expected.absent.every((k) => (labels[k] ?? '') === '');
}

export function matches(episode: AlertEpisode, incident: TruthIncident): boolean {
  const start = Date.parse(incident.start);
  const end = Date.parse(incident.end);
  if (episode.firedAt < start || episode.firedAt > end + MATCH_GRACE_MS) return false;
  return incident.expected ? labelsExpected(episode.labels, incident.expected) : labelsFit(episode.labels, incident.scope);
}

export interface IncidentResult {
  incident: TruthIncident;
  detected: boolean;
  /** First matching alert's firing time minus the incident's start (ms). */
  latencyMs?: number | undefined;
  /** The rules whose alerts matched. */
  rules: string[];
}

export interface KindSummary {
  kind: string;
  incidents: number;
  detected: number;
  medianLatencyMs?: number | undefined;
  maxLatencyMs?: number | undefined;
}

export interface Score {
  days: number;
  incidents: IncidentResult[];
  falseAlerts: AlertEpisode[];
  recall: number;
  falseAlertsPerDay: number;
  medianLatencyMs?: number | undefined;
  maxLatencyMs?: number | undefined;
  byKind: KindSummary[];
}

export const median = (xs: readonly number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
};

export function scoreBacktest(episodes: readonly AlertEpisode[], truth: readonly TruthIncident[], range: BacktestRange): Score {
  const inRange = truth.filter((i) => Date.parse(i.start) < range.to.getTime() && Date.parse(i.end) > range.from.getTime());
  const real = inRange.filter((i) => !i.benign);
  const results: IncidentResult[] = real.map((incident) => {
    const hits = episodes.filter((e) => matches(e, incident));
    const first = hits.reduce<number | undefined>((m, e) => (m === undefined || e.firedAt < m ? e.firedAt : m), undefined);
    return {
      incident,
      detected: hits.length > 0,
      latencyMs: first === undefined ? undefined : first - Date.parse(incident.start),
      rules: [...new Set(hits.map((e) => e.ruleUid))],
    };
  });
  const falseAlerts = episodes.filter((e) => !real.some((i) => matches(e, i)));
  const days = (range.to.getTime() - range.from.getTime()) / 86_400_000;
  const latencies = results.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
  const kinds = [...new Set(results.map((r) => r.incident.kind))];
  return {
    days,
    incidents: results,
    falseAlerts,
    recall: results.length === 0 ? 1 : results.filter((r) => r.detected).length / results.length,
    falseAlertsPerDay: falseAlerts.length / days,
    medianLatencyMs: median(latencies),
    maxLatencyMs: latencies.length === 0 ? undefined : Math.max(...latencies),
    byKind: kinds.map((kind) => {
      const mine = results.filter((r) => r.incident.kind === kind);
      const lat = mine.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
      return {
        kind,
        incidents: mine.length,
        detected: mine.filter((r) => r.detected).length,
        medianLatencyMs: median(lat),
        maxLatencyMs: lat.length === 0 ? undefined : Math.max(...lat),
      };
    }),
  };
}
