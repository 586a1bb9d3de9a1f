// `errpulse alerts`: run the built-in alert evaluator alone (services/alerts/main.ts).
import { Option, type Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';

/** `a,b,c` → ['a', 'b', 'c']: rule uids for --rules. */
export const parseRuleList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function registerAlertsCommand(program: Command): void {
  program
    .command('alerts')
    .description(
      'Evaluate the alert rules (the same ones Grafana is provisioned with) every ALERTS_EVALUATION_INTERVAL_S against ClickHouse, ' +
        'and send firing and resolved alerts to ALERTMANAGER_URL (unset: log them); serves /metrics, /healthz, /readyz on ALERTS_METRICS_PORT',
    )
    .addOption(new Option('--rules <uids>', 'only these rules (comma-separated uids)').argParser(parseRuleList).default([], 'all'))
    .action(async (flags: { rules: string[] }) => {
      const config = loadConfigOrExit();
      const { main } = await import('../../services/alerts/main.js');
      await main(config, { rules: flags.rules });
    });
}
