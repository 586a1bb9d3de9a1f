// An app stuck at a plan limit, judged against that app's own history of limit errors: a big app that
// always meets its rate limit a little is not exhausted; a mid-size one suddenly failing every call is.
import { QUOTA_PANELS } from '../../src/quota.js';
import { onDetector } from '../detector-sql.js';
import { KIND } from '../kinds.js';
import { RULE_GROUPS, type AlertRule } from '../rule.js';
import { SCOPE_WORDS, codeQuote, kindQuote, score } from '../text.js';

const WHERE = `kind = '${KIND.limit}' AND app_id != ''`;

export const quotaExhaustion: AlertRule = {
  uid: 'errpulse-quota-exhaustion',
  title: 'App stuck at a plan limit',
  group: RULE_GROUPS.customers,
  ...onDetector(WHERE),
  pendingFor: '0s',
  severity: 'warning',
  team: 'billing',
  summary: `${SCOPE_WORDS}: far above this app's own usual level (score ${score}); its quota or plan limit is probably exhausted.`,
  description: `${kindQuote(KIND.limit)}. ${codeQuote(KIND.limit)}`,
  runbookAnchor: 'app-stuck-at-a-plan-limit',
  dashboard: { key: 'quota', panel: QUOTA_PANELS.ranked, vars: { app: '{{ $labels.app_id }}' } },
};
