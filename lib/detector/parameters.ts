// Every number the detector uses, in one place. The SQL (query.ts), the Grafana rules, GET /v1/spikes and
// the built-in evaluator all read these; docs/alerts.md explains each one and does the alpha arithmetic.

/** One significance test: the events of the last `minutes` complete minutes against their expectation. */
export interface DetectorTest {
  name: 'fast' | 'patient' | 'trend';
  minutes: number;
  /** Share of the daily false-alert budget this test may spend. */
  budgetShare: number;
}

/**
 * How many scopes (location × kind/category/code cells with events) one evaluation may test. A deployment
 * far larger than this raises it; the thresholds move only with its logarithm.
 */
export const SCOPES_PER_MINUTE = 20_000;

/** Expected false alerts per day over all scopes and tests together. */
export const FALSE_ALERTS_PER_DAY = 1;

export const MINUTES_PER_DAY = 1440;

/**
 * fast: a sudden onset fires within a minute or two, under the strictest threshold;
 * patient: a subtle one accumulates evidence over ten minutes;
 * trend: a slow ramp, weighting each of the last 30 minutes by its recency (a matched filter for a
 * linear rise), so it fires before the ramp's total would.
 */
export const DETECTOR_TESTS: readonly DetectorTest[] = [
  { name: 'fast', minutes: 2, budgetShare: 0.1 },
  { name: 'patient', minutes: 10, budgetShare: 0.45 },
  { name: 'trend', minutes: 30, budgetShare: 0.45 },
];

/**
 * The per-test significance level: a test of one scope runs once a minute, so over a day the budget of
 * FALSE_ALERTS_PER_DAY is shared by SCOPES_PER_MINUTE × 1440 tests of each kind.
 */
export function alphaOf(test: DetectorTest): number {
  return (FALSE_ALERTS_PER_DAY * test.budgetShare) / (SCOPES_PER_MINUTE * MINUTES_PER_DAY);
}

/** The same threshold as a surprise: −log10 α, in decades. */
export const surpriseThreshold = (test: DetectorTest) => -Math.log10(alphaOf(test));

export const DETECTOR = {
  /** Minutes between the longest window and the baseline, so an incident does not raise its own expectation. */
  gapMinutes: 5,
  /** The trailing baseline: this many minutes before the gap. */
  baselineMinutes: 60,
  /** Same time of day on up to this many previous days, where stored history has them. */
  seasonDays: 7,
  /** Each seasonal span is twice this long: around now, and around the baseline, on previous days. */
  seasonHalfSpanMinutes: 30,
  /** Pseudo-events added to both seasonal spans, so that a sparse scope's rhythm stays near 1. */
  seasonPseudoEvents: 10,
  /** The rhythm factor (seasonal now / seasonal baseline) is clamped to this range. */
  rhythmMin: 0.5,
  rhythmMax: 2,
  /** Pseudo-events added to the trailing baseline: a silent scope expects 0.5 events an hour, not zero. */
  baselinePseudoEvents: 0.5,
  /**
   * Real error rates wander: a scope's count in a window has variance λ + c²λ² (negative-binomial-like),
   * not λ. c² is estimated from the baseline's minutes when they held at least dispersionMinEvents events,
   * and never taken below noiseFloor (a 20% wander), so a busy scope needs a large relative rise while a
   * sparse one is judged almost purely by Poisson. The estimate uses the baseline's 10-minute blocks:
   * over-dispersion that matters is the kind that lasts a window, not a one-minute blip.
   */
  dispersionMinEvents: 100,
  noiseFloor: 0.04,
  /** The baseline's blocks for that estimate. */
  blockMinutes: 10,
  /**
   * A longer test fires only while the fast window is itself unusual at this level (p < 1e-5): once an
   * incident has ended, its events linger in a 30-minute sum, and a few stray events in the last two
   * minutes of a quiet scope must not keep (or start) an alert. With no pending period this check is the
   * only guard on that tail: at p < 0.001, 3 events where 0.2 were expected in a code of a burst that had
   * ended 12 minutes before paged on the alert bench; about 30 scopes × 30 minutes of tail × 1e-5 is
   * 0.01 such alerts per incident.
   */
  stillGoingAlpha: 1e-5,
  /**
   * Minimum effect size: observed ≥ minRatio × expected, and the window's events exceed their expectation
   * by minExcess (the trend test's unweighted: its equivalent events count a recent event as 1.5).
   */
  minRatio: 1.5,
  minExcess: 5,
  /**
   * A scope is explained by a more specific one holding this share of its excess (Adtributor's
   * explanatory power) ...
   */
  explainShare: 0.8,
  /**
   * ... or by two holding this share together, where two are two incidents: two apps, or two regions of
   * the whole platform. Two codes or categories of one app are one incident, and so are an app's regions.
   */
  explainPairShare: 0.9,
  /**
   * ... and a part whose rest (the whole without it) is not unusual at this level explains the whole
   * whatever its share: a noisy platform's other regions can hold 30% of its excess by chance (p ≈ 0.01),
   * while a platform-wide burst raises every region far beyond it.
   */
  quietAlpha: 1e-3,
  /**
   * A part explains its whole only where the excess is concentrated in it: the rest of the whole rose,
   * relatively, at most 1/concentration as much as the part. A proportional rise everywhere is the
   * whole's incident, not its parts'.
   */
  concentration: 2,
} as const;

/** The longest window: the baseline ends this long (plus the gap) before the evaluation. */
export const LONGEST_WINDOW_MINUTES = Math.max(...DETECTOR_TESTS.map((t) => t.minutes));

/** Minutes ago (1 = the last complete minute) of the baseline's first and last minute. */
export const BASELINE_AGO = {
  from: LONGEST_WINDOW_MINUTES + DETECTOR.gapMinutes + 1,
  to: LONGEST_WINDOW_MINUTES + DETECTOR.gapMinutes + DETECTOR.baselineMinutes,
} as const;

/** How far back one evaluation reads: the seasonal days plus the baseline before them. */
export const DETECTOR_LOOKBACK_MINUTES = DETECTOR.seasonDays * MINUTES_PER_DAY + BASELINE_AGO.to;
