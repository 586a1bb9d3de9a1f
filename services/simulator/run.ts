// One simulation run: the generator's events, counted by source as the sink acknowledges them, with a
// progress snapshot for status lines and the result the truth file needs.
import type { Producer } from 'kafkajs';
import { simulateEvents, type EventSource, type Simulation } from './generator.js';
import { produceMessages, type OutgoingMessage } from './producer.js';
import type { ScenarioKind } from './scenarios.js';

export interface SimulationProgress {
  sent: number;
  counts: Partial<Record<EventSource, number>>;
  /** Virtual time of the last event sent. */
  virtualTimeMs: number | undefined;
  activeIncidents: ScenarioKind[];
}

export interface SimulationResult {
  sent: number;
  counts: Partial<Record<EventSource, number>>;
  aborted: boolean;
  /** Where the virtual clock stopped: the planned end, or the last event sent when stopped early. */
  endMs: number;
}

export interface RunOptions {
  topic: string;
  /** Send events only once their virtual time has come (false: as fast as the sink takes them). */
  pace: boolean;
  signal?: AbortSignal;
  now?: () => number;
}

export interface SimulationRun {
  progress(): SimulationProgress;
  done: Promise<SimulationResult>;
}

export function runSimulation(sink: Pick<Producer, 'send'>, sim: Simulation, opts: RunOptions): SimulationRun {
  const counts: Partial<Record<EventSource, number>> = {};
  let sent = 0;
  let virtualTimeMs: number | undefined;

  function* messages(): Generator<OutgoingMessage> {
    for (const e of simulateEvents(sim)) {
      yield { key: e.key, value: JSON.stringify(e.event), dueMs: e.timeMs, source: e.source };
    }
  }

  const done = produceMessages(sink, messages(), {
    topic: opts.topic,
    pace: opts.pace,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    onSent: (batch, total) => {
      sent = total;
      for (const m of batch) counts[m.source as EventSource] = (counts[m.source as EventSource] ?? 0) + 1;
      virtualTimeMs = batch[batch.length - 1]?.dueMs ?? virtualTimeMs;
    },
  }).then((r): SimulationResult => {
    const { startMs, durationMs } = sim.spec;
    const plannedEnd = durationMs === undefined ? undefined : startMs + durationMs;
    return { sent: r.sent, counts: { ...counts }, aborted: r.aborted, endMs: r.aborted || plannedEnd === undefined ? (virtualTimeMs ?? startMs) : plannedEnd };
  });

  return {
    progress: () => ({
      sent,
      counts: { ...counts },
      virtualTimeMs,
      activeIncidents: virtualTimeMs === undefined ? [] : sim.incidents.filter((i) => i.startMs <= virtualTimeMs! && virtualTimeMs! < i.endMs).map((i) => i.kind),
    }),
    done,
  };
}

/** A sink that writes each message's value as one line (JSONL) instead of sending it to Kafka. */
export function jsonlSink(out: NodeJS.WritableStream): Pick<Producer, 'send'> {
  return {
    send: async ({ messages }) => {
      const text = messages.map((m) => `${String(m.value)}\n`).join('');
      if (!out.write(text)) await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        out.once('error', onError);
        out.once('drain', () => {
          out.removeListener('error', onError);
          resolve();
        });
      });
      return [];
    },
  };
}
