// One app's keys or tokens failing: someone deleted, rotated or revoked a credential the app still uses.
import { APP_PANELS } from '../../src/app-drilldown.js';
import { onDetector } from '../detector-sql.js';
import { KIND } from '../kinds.js';
import { RULE_GROUPS, type AlertRule } from '../rule.js';
import { SCOPE_WORDS, codeQuote, kindQuote, score } from '../text.js';

const WHERE = `kind = '${KIND.auth}' AND app_id != ''`;

export const authFailures: AlertRule = {
  uid: 'errpulse-auth-failure-surge',
  title: 'Auth failures surging for an app',
  group: RULE_GROUPS.customers,
  ...onDetector(WHERE),
  pendingFor: '0s',
  severity: 'warning',
  team: 'identity',
  summary: `${SCOPE_WORDS}: the app's credentials fail far more than usual (score ${score}); a key or token was probably deleted, rotated or revoked.`,
  description: `${kindQuote(KIND.auth)}. ${codeQuote(KIND.auth)}`,
  runbookAnchor: 'auth-failures-surging-for-an-app',
  dashboard: { key: 'app', panel: APP_PANELS.codesOverTime, vars: { app: '{{ $labels.app_id }}' } },
};
