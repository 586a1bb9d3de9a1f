// `errpulse catalog`: the error catalog as a table (or JSON), filtered by category, kind and code pattern.
import { Option, type Command } from 'commander';
import { filterCatalog, UnknownCategoryError, UnknownKindError } from '../../lib/catalog/filter.js';
import { CATALOG, KINDS, type CatalogEntry } from '../../lib/catalog/index.js';

const COLUMNS = ['code', 'category', 'kind', 'fault', 'severity'] as const;
const DEFAULT_DESCRIPTION_WIDTH = 60;
const MIN_DESCRIPTION_WIDTH = 20;

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Aligned table, one line per entry, the description cut to its first line. With `width` (terminal
 * columns) the description fills what is left of it; without, it is cut at about 60 characters.
 */
export function formatCatalogTable(entries: readonly CatalogEntry[], width?: number): string {
  const header = [...COLUMNS.map((c) => c.toUpperCase()), 'DESCRIPTION'];
  const rows = entries.map((e) => [...COLUMNS.map((c) => e[c]), e.description.split('\n', 1)[0] ?? '']);
  const widths = COLUMNS.map((_, i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const used = widths.reduce((sum, w) => sum + w + 2, 0);
  const descriptionWidth = width === undefined ? DEFAULT_DESCRIPTION_WIDTH : Math.max(MIN_DESCRIPTION_WIDTH, width - used);
  return [header, ...rows]
    .map((cells) => {
      const fixed = widths.map((w, i) => cells[i]!.padEnd(w)).join('  ');
      return `${fixed}  ${truncate(cells[COLUMNS.length]!, descriptionWidth)}`.trimEnd();
    })
    .join('\n');
}

const collect = (value: string, previous: string[]): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== ''),
];

interface CatalogOptions {
  json?: boolean;
  category: string[];
  kind: string[];
  code: string[];
}

export function registerCatalogCommand(program: Command): void {
  program
    .command('catalog')
    .description('List the error catalog: every code of the public error guide with category, kind (what went wrong), fault and severity')
    .option('--json', 'print the entries as JSON (full descriptions)')
    .addOption(
      new Option('--category <name|slug>', 'only this category; repeatable or comma-separated (e.g. Websocket, block-users)')
        .argParser(collect)
        .default([], 'all'),
    )
    .addOption(
      new Option('--kind <kind>', `only this kind; repeatable or comma-separated (${KINDS.join(', ')})`)
        .argParser(collect)
        .default([], 'all'),
    )
    .addOption(
      new Option('--code <code|pattern>', 'only this code or * pattern; repeatable or comma-separated (e.g. ERR_WS_*, *_FAILED)')
        .argParser(collect)
        .default([], 'all'),
    )
    .action(function (this: Command) {
      const opts = this.opts<CatalogOptions>();
      let entries: CatalogEntry[];
      try {
        entries = filterCatalog(CATALOG, { categories: opts.category, kinds: opts.kind, codes: opts.code });
      } catch (err) {
        if (err instanceof UnknownCategoryError) this.error(`error: ${err.message}`, { exitCode: 2, code: 'errpulse.unknownCategory' });
        if (err instanceof UnknownKindError) this.error(`error: ${err.message}`, { exitCode: 2, code: 'errpulse.unknownKind' });
        throw err;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      } else if (entries.length === 0) {
        process.stderr.write('no catalog entries match\n');
      } else {
        process.stdout.write(`${formatCatalogTable(entries, process.stdout.isTTY ? process.stdout.columns : undefined)}\n`);
      }
    });
}
