// Every alert rule, in one list. To add a rule: write dashboards/alerts/rules/<name>.ts exporting an
// AlertRule (rule.ts), add it here, add its section to docs/runbook.md, and run `npm run dashboards`.
// The Grafana provisioning file, the built-in evaluator and the backtest all read this list.
import type { AlertRule } from './rule.js';
import { authFailures } from './rules/auth-failures.js';
import { quotaExhaustion } from './rules/quota-exhaustion.js';
import { regionSurge } from './rules/region-surge.js';
import { serverFailures } from './rules/server-failures.js';
import { unknownCode } from './rules/unknown-code.js';

export { EVALUATION_INTERVAL_SECONDS, RULE_GROUPS, type AlertRule, type RuleGroupName } from './rule.js';

export const ALERT_RULES: readonly AlertRule[] = [serverFailures, regionSurge, authFailures, quotaExhaustion, unknownCode];
