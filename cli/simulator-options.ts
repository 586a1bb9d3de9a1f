// Command-line values of the simulator's options, shared by `errpulse simulate` and `errpulse start`:
// each parser turns text into the value the simulator takes, or tells commander what was expected.
import { InvalidArgumentError } from 'commander';
import { DurationError, parseDuration } from '../services/simulator/duration.js';
import { MAX_RATE_PER_SECOND } from '../services/simulator/generator.js';
import { MAX_SEED } from '../services/simulator/prng.js';
import { parseScenarios, ScenarioError, type ScenarioKind } from '../services/simulator/scenarios.js';
import { MAX_APP_COUNT } from '../services/simulator/traffic-model.js';

export function parseRate(value: string): number {
  const rate = Number(value);
  if (!(rate > 0 && rate <= MAX_RATE_PER_SECOND)) throw new InvalidArgumentError(`must be a number of events per second above 0 and at most ${MAX_RATE_PER_SECOND}`);
  return rate;
}

/** A duration that may be zero (an offset such as --incident-at 0s). */
export function parseOffset(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function parseDurationOption(value: string): number {
  const ms = parseOffset(value);
  if (ms <= 0) throw new InvalidArgumentError('must be longer than zero');
  return ms;
}

export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new InvalidArgumentError(`must be an integer between 0 and ${MAX_SEED}`);
  return seed;
}

export function parseApps(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_APP_COUNT) throw new InvalidArgumentError(`must be an integer between 1 and ${MAX_APP_COUNT}`);
  return n;
}

export function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) throw new InvalidArgumentError('must be an ISO-8601 time with a zone, e.g. 2025-06-01T12:00:00Z');
  return ms;
}

export function parseScenarioOption(value: string): ScenarioKind[] {
  try {
    return parseScenarios(value);
  } catch (err) {
    if (err instanceof ScenarioError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** The daily swing of the traffic: 0 (flat) up to, not including, 1. */
export function parseAmplitude(value: string): number {
  const amplitude = Number(value);
  if (!(amplitude >= 0 && amplitude < 1)) throw new InvalidArgumentError('must be a number from 0 up to (not including) 1');
  return amplitude;
}
