// The `errpulse` command: one subcommand per capability, each registered explicitly from cli/commands.
import { Command } from 'commander';
import { loadConfig } from '../lib/config.js';
import { registerCommands } from './commands/index.js';

// `errpulse catalog | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('errpulse')
  .description('Error analytics for API platforms: Kafka → ClickHouse → query API, dashboards and spike alerts')
  .showHelpAfterError('(run with --help for usage)')
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Operational failures (a locked data folder, a broker that will not start, a bad migration) are
  // explained by their message; the stack trace is for LOG_LEVEL=debug.
  const error = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`errpulse: ${error.message}\n`);
  if (wantsStackTraces()) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

function wantsStackTraces(): boolean {
  try {
    return ['debug', 'trace'].includes(loadConfig().logLevel);
  } catch {
    return false;
  }
}
