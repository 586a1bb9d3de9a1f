import type { Command } from 'commander';
import { registerAlertsCommand } from './alerts.js';
import { registerApiCommand } from './api.js';
import { registerBacktestCommand } from './backtest.js';
import { registerCatalogCommand } from './catalog.js';
import { registerDashboardsCommand } from './dashboards.js';
import { registerDoctor } from './doctor.js';
import { registerIngestCommand } from './ingest.js';
import { registerMigrate } from './migrate.js';
import { registerKafkaCommand } from './kafka.js';
import { registerSimulate } from './simulate.js';
import { registerStart } from './start.js';
import { registerTokenCommand } from './token.js';

type Register = (program: Command) => void;

// Each module adds one subcommand (with its own --help). Keep the list explicit: it is the CLI's table of contents.
const commands: Register[] = [
  registerStart,
  registerIngestCommand,
  registerApiCommand,
  registerAlertsCommand,
  registerBacktestCommand,
  registerMigrate,
  registerSimulate,
  registerTokenCommand,
  registerDashboardsCommand,
  registerCatalogCommand,
  registerKafkaCommand,
  registerDoctor,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
