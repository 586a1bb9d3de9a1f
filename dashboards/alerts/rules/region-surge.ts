// Any kind of client error surging across a region or the whole platform: a breaking API or SDK rollout,
// a dependency failing. One app's own client errors are that app's business (GET /v1/spikes shows them);
// the detector reports them at the app, so they never reach this rule.
import { OVERVIEW_PANELS } from '../../src/overview.js';
import { onDetector } from '../detector-sql.js';
import { KIND } from '../kinds.js';
import { RULE_GROUPS, type AlertRule } from '../rule.js';
import { SCOPE_WORDS, score } from '../text.js';

const WHERE = `app_id = '' AND kind NOT IN ('${KIND.server}', '${KIND.unknown}')`;

export const regionSurge: AlertRule = {
  uid: 'errpulse-region-surge',
  title: 'Errors surging across a region or the platform',
  group: RULE_GROUPS.incidents,
  ...onDetector(WHERE),
  pendingFor: '0s',
  severity: 'critical',
  team: 'api-platform',
  summary: `${SCOPE_WORDS}: many apps at once, far above the usual level (score ${score}).`,
  description:
    'No single app explains this rise: requests fail the same way across many apps, as after a breaking API or SDK rollout or a failing dependency. ' +
    'Client errors of one app alone do not page; this one spans the scope named.',
  runbookAnchor: 'errors-surging-across-a-region-or-the-platform',
  dashboard: { key: 'overview', panel: OVERVIEW_PANELS.spikes, vars: {} },
};
