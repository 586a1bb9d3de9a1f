// The live status line of `errpulse start`: redrawn every second from the worker's counters and the alert
// evaluator's last evaluation. It asks ClickHouse nothing itself: the evaluator already runs the detector
// for its rules every minute, and a second copy of that query only doubled the load and lengthened Ctrl-C.
import type { Stoppable } from '../../lib/lifecycle.js';
import { createRateMeter, type StatusLine } from '../../lib/status-line.js';
import type { AlertEvaluator } from '../alerts/evaluator.js';
import type { IngestWorker } from '../ingest/worker.js';
import type { DemoTraffic } from './demo-traffic.js';
import { describeStatus } from './status.js';

const REDRAW_MS = 1_000;

export function startStatusLoop(deps: {
  status: StatusLine;
  worker: IngestWorker;
  traffic: DemoTraffic | undefined;
  /** undefined: `--no-alerts`, and the line says alerts are off. */
  alerts: AlertEvaluator | undefined;
}): Stoppable {
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
        alerts: deps.alerts?.snapshot(),
        simulator:
          deps.traffic && progress
            ? { sent: progress.sent, sendingHistory: deps.traffic.sendingHistory(), activeIncidents: progress.activeIncidents, failed: deps.traffic.failed }
            : undefined,
      }),
    );
  };
  const timer = setInterval(render, REDRAW_MS);
  return {
    name: 'status line',
    stop: async () => {
      clearInterval(timer);
      deps.status.done();
    },
  };
}
