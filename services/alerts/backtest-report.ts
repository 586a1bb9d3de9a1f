// The backtest as a person reads it (a table per section) and as a program reads it (--json).
import type { AlertEpisode, EvaluationTiming } from './backtest.js';
import type { Rule } from './rules.js';
import type { Score } from './score.js';

const time = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));
export const minutes = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 60_000).toFixed(ms % 60_000 === 0 ? 0 : 1)} min`);
/** An instance's labels; empty ones (the detector's "every region", "every app") left out. */
export const labelText = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || 'platform-wide';

/** Columns padded to their widest cell. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatEpisodes(rules: readonly Rule[], episodes: readonly AlertEpisode[]): string {
  if (episodes.length === 0) return 'No rule would have fired.';
  const title = new Map(rules.map((r) => [r.uid, r.uid]));
  return table(
    ['fired', 'resolved', 'pending since', 'rule', 'instance', 'peak'],
    [...episodes]
      .sort((a, b) => a.firedAt - b.firedAt)
      .map((e) => [time(e.firedAt), e.resolvedAt === undefined ? 'still firing' : time(e.resolvedAt), time(e.activeAt), title.get(e.ruleUid) ?? e.ruleUid, labelText(e.labels), e.peak.toFixed(1)]),
  );
}

export function formatScore(score: Score): string {
  const incidents = table(
    ['incident', 'start', 'end', 'found', 'latency', 'by rule'],
    score.incidents.map((r) => [r.incident.kind, time(Date.parse(r.incident.start)), time(Date.parse(r.incident.end)), r.detected ? 'yes' : 'MISSED', minutes(r.latencyMs), r.rules.join(', ') || '—']),
  );
  const kinds = table(
    ['kind', 'found', 'median latency', 'max latency'],
    score.byKind.map((k) => [k.kind, `${k.detected}/${k.incidents}`, minutes(k.medianLatencyMs), minutes(k.maxLatencyMs)]),
  );
  const falseAlerts = score.falseAlerts.length === 0 ? 'False alerts: none.' : `False alerts (${score.falseAlerts.length}):\n${score.falseAlerts.map((e) => `  ${time(e.firedAt)}  ${e.ruleUid}  ${labelText(e.labels)}`).join('\n')}`;
  const found = score.incidents.filter((r) => r.detected).length;
  return [
    incidents,
    '',
    kinds,
    '',
    falseAlerts,
    '',
    `recall ${found}/${score.incidents.length} (${(score.recall * 100).toFixed(0)} %) · false alerts ${score.falseAlerts.length} in ${score.days.toFixed(2)} days = ${score.falseAlertsPerDay.toFixed(2)}/day · ` +
      `latency median ${minutes(score.medianLatencyMs)}, max ${minutes(score.maxLatencyMs)}`,
  ].join('\n');
}

export function formatTiming(t: EvaluationTiming, rules: number): string {
  return `${t.minutes} minutes × ${rules} rules evaluated; all rules per minute: median ${t.medianMs.toFixed(0)} ms, p95 ${t.p95Ms.toFixed(0)} ms, max ${t.maxMs.toFixed(0)} ms`;
}

/** The --json document: episodes with ISO times, the score when a truth file was given. */
export function backtestJson(episodes: readonly AlertEpisode[], timing: EvaluationTiming, score: Score | undefined): unknown {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    alerts: episodes.map((e) => ({ rule: e.ruleUid, labels: e.labels, pendingSince: iso(e.activeAt), firedAt: iso(e.firedAt), resolvedAt: iso(e.resolvedAt), peak: e.peak })),
    evaluation: timing,
    ...(score
      ? {
          score: {
            recall: score.recall,
            falseAlertsPerDay: score.falseAlertsPerDay,
            medianLatencyMs: score.medianLatencyMs ?? null,
            maxLatencyMs: score.maxLatencyMs ?? null,
            byKind: score.byKind,
            incidents: score.incidents.map((r) => ({ kind: r.incident.kind, start: r.incident.start, end: r.incident.end, detected: r.detected, latencyMs: r.latencyMs ?? null, rules: r.rules })),
            falseAlerts: score.falseAlerts.map((e) => ({ rule: e.ruleUid, labels: e.labels, firedAt: iso(e.firedAt), resolvedAt: iso(e.resolvedAt) })),
          },
        }
      : {}),
  };
}
