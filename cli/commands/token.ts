// `errpulse token create|list|revoke`: manage the API tokens in API_TOKENS_FILE. A token is printed once,
// at creation; the file keeps only its hash. A running API picks changes up within a second.
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { createToken, listTokens, revokeToken, TokenStoreError } from '../../services/api/auth/token-store.js';

function splitApps(value: string): string[] {
  return value
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
}

/** Token store errors are the user's to fix: one line on stderr and exit code 2, no stack trace. */
async function reportingStoreErrors(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof TokenStoreError)) throw err;
    process.stderr.write(`errpulse token: ${err.message}\n`);
    process.exitCode = 2;
  }
}

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description('Create, list and revoke query API tokens (stored as hashes in API_TOKENS_FILE)');

  token
    .command('create')
    .description('Create a token and print it once; only its sha256 hash is stored')
    .requiredOption('--name <name>', 'a unique name for the token (1–64 characters from [A-Za-z0-9._-]); shown in logs and used for rate limiting')
    .option('--apps <list>', 'comma-separated app IDs the token may see (default: every app)', splitApps)
    .option('--json', 'print the token and its record as JSON')
    .action(async (opts: { name: string; apps?: string[]; json?: boolean }) =>
      reportingStoreErrors(async () => {
        const file = loadConfigOrExit().api.tokensFile;
        const { token: secret, record } = await createToken(file, { name: opts.name, apps: opts.apps ?? [] });
        if (opts.json) {
          console.log(JSON.stringify({ token: secret, name: record.name, apps: record.apps, createdAt: record.createdAt }, null, 2));
          return;
        }
        console.log(secret);
        process.stderr.write(
          `token '${record.name}' created for ${record.apps ? `apps ${record.apps.join(', ')}` : 'every app'} in ${file}; ` +
            'it is shown only now: use it as "Authorization: Bearer <token>"\n',
        );
      }),
    );

  token
    .command('list')
    .description('List the tokens: name, scope and creation time (never the tokens themselves)')
    .option('--json', 'print the list as JSON')
    .action(async (opts: { json?: boolean }) =>
      reportingStoreErrors(async () => {
        const records = await listTokens(loadConfigOrExit().api.tokensFile);
        if (opts.json) {
          console.log(JSON.stringify(records.map(({ name, apps, createdAt }) => ({ name, apps, createdAt })), null, 2));
          return;
        }
        if (records.length === 0) {
          console.log('no tokens; create one with `errpulse token create --name NAME`');
          return;
        }
        const width = Math.max(4, ...records.map((r) => r.name.length));
        console.log(`${'NAME'.padEnd(width)}  ${'CREATED'.padEnd(24)}  APPS`);
        for (const r of records) console.log(`${r.name.padEnd(width)}  ${r.createdAt.padEnd(24)}  ${r.apps ? r.apps.join(',') : '(all)'}`);
      }),
    );

  token
    .command('revoke')
    .description('Revoke a token by name; a running API refuses it within a second')
    .argument('<name>', 'the token name')
    .action(async (name: string) =>
      reportingStoreErrors(async () => {
        const file = loadConfigOrExit().api.tokensFile;
        if (!(await revokeToken(file, name))) throw new TokenStoreError(`no token named '${name}' in ${file}`);
        console.log(`token '${name}' revoked`);
      }),
    );
}
