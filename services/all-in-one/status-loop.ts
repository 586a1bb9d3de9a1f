// The live status line of `errpulse start`: redrawn every second from the worker's counters, with the
// active spikes (the shared detector) refreshed every 15 s.
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import type { Stoppable } from '../../lib/lifecycle.js';
import type { Logger } from '../../lib/log.js';
import { createRateMeter, type StatusLine } from '../../lib/status-line.js';
import type { AlertEvaluator } from '../alerts/evaluator.js';
import type { IngestWorker } from '../ingest/worker.js';
import type { DemoTraffic } from './demo-traffic.js';
import { activeSpikes, type ActiveSpike } from './queries.js';
import { describeStatus } from './status.js';

const REDRAW_MS = 1_000;
const SPIKE_CHECK_MS = 15_000;

export function startStatusLoop(deps: {
  status: StatusLine;
  worker: IngestWorker;
  clickhouse: ClickHouseClient;
  /** max_execution_time of the spike check (the alert rules' ALERTS_QUERY_TIMEOUT_S). */
  spikeQueryTimeoutS: number;
  traffic: DemoTraffic | undefined;
  alerts?: AlertEvaluator | undefined;
  logger: Logger;
}): Stoppable {
  let spikes: ActiveSpike[] | undefined;
  const checkSpikes = async () => {
    try {
      spikes = await activeSpikes(deps.clickhouse, new Date(), deps.spikeQueryTimeoutS);
    } catch (err) {
      deps.logger.warn({ err }, 'spike check failed');
    }
  };
  const meter = createRateMeter();
  const render = () => {
    const stats = deps.worker.stats();
    const readiness = deps.worker.readiness();
    const progress = deps.traffic?.run.progress();
    deps.status.update(
      describeStatus({
        eventsInPerSecond: meter(stats.consumedTotal, Date.now()),
        insertedTotal: stats.insertedTotal,
        rejectedTotal: stats.rejectedTotal,
        lag: stats.lag,
        ready: readiness.ready,
        notReadyReason: readiness.reason,
        spikes,
        alerts: deps.alerts?.snapshot(),
        simulator: deps.traffic && progress ? { sent: progress.sent, activeIncidents: progress.activeIncidents, failed: deps.traffic.failed } : undefined,
      }),
    );
  };
  void checkSpikes();
  const timers = [setInterval(render, REDRAW_MS), setInterval(() => void checkSpikes(), SPIKE_CHECK_MS)];
  return {
    name: 'status line',
    stop: async () => {
      timers.forEach(clearInterval);
      deps.status.done();
    },
  };
}
