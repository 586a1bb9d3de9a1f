// The `errpulse` command: one subcommand per capability, each registered explicitly from cli/commands.
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

const program = new Command('errpulse')
  .description('Error analytics for API platforms: Kafka → ClickHouse → query API, dashboards and spike alerts')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

await program.parseAsync(process.argv);
