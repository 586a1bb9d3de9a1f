// The platform failing requests, anywhere: one app, one region, a category or everything. The detector
// names the scope that explains the excess, so a WebSocket outage spread over every app in a region is
// one page for the region, and one app's failing endpoint is one page for that app.
import { DETECTOR_TESTS } from '../../../lib/detector/parameters.js';
import { OVERVIEW_PANELS } from '../../src/overview.js';
import { onDetector } from '../detector-sql.js';
import { KIND } from '../kinds.js';
import { RULE_GROUPS, type AlertRule } from '../rule.js';
import { SCOPE_WORDS, codeQuote, kindQuote, score } from '../text.js';

const WHERE = `kind = '${KIND.server}'`;

export const serverFailures: AlertRule = {
  uid: 'errpulse-server-failures',
  title: 'Server failures above their usual level',
  group: RULE_GROUPS.incidents,
  ...onDetector(WHERE),
  pendingFor: '0s',
  severity: 'critical',
  team: 'platform',
  summary: `${SCOPE_WORDS}: far more than expected at this time of day (score ${score}).`,
  description: `${kindQuote(KIND.server)}. The detector compared the last ${DETECTOR_TESTS.map((t) => `${t.minutes}`).join(', ')} minutes with this scope's own level (trailing hour, shaped by the same time on previous days) and found far more than chance allows. ${codeQuote(KIND.server)}`,
  runbookAnchor: 'server-failures-above-their-usual-level',
  dashboard: { key: 'overview', panel: OVERVIEW_PANELS.spikes, vars: {} },
};
