// `errpulse catalog`: the error catalog as a table (or JSON), filtered by category and code pattern.
import { Option, type Command } from 'commander';
import { CATALOG, CATEGORIES, type CatalogEntry } from '../../lib/catalog/index.js';
import { slugOf } from '../../lib/catalog/rules.js';

export interface CatalogFilter {
  /** Category names or slugs, any case ("Block Users", "block-users"); empty = all. */
  categories?: readonly string[];
  /** Exact codes or `*` patterns (ERR_WS_*, *_FAILED), any case; empty = all. */
  codes?: readonly string[];
}

export class UnknownCategoryError extends Error {
  constructor(readonly unknown: readonly string[]) {
    const valid = CATEGORIES.map((c) => `${c.name} (${c.slug})`).join(', ');
    super(`unknown categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; valid: ${valid}`);
    this.name = 'UnknownCategoryError';
  }
}

// The slug rule that made the catalog's slugs, plus the guide's own "… Errors" heading suffix.
const normalise = (s: string): string => slugOf(s).replace(/-errors$/, '');

/** Category slugs for names or slugs as a user types them. Throws UnknownCategoryError listing the valid ones. */
export function resolveCategories(inputs: readonly string[]): Set<string> {
  const slugs = new Set<string>();
  const unknown: string[] = [];
  for (const input of inputs) {
    const found = CATEGORIES.find((c) => c.slug === normalise(input));
    if (found) slugs.add(found.slug);
    else unknown.push(input);
  }
  if (unknown.length > 0) throw new UnknownCategoryError(unknown);
  return slugs;
}

/** A matcher for an exact code or a `*` pattern, case-insensitive. */
export function codeMatcher(pattern: string): (code: string) => boolean {
  const wanted = pattern.trim().toUpperCase();
  if (!wanted.includes('*')) return (code) => code === wanted;
  const source = wanted
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  return (code) => re.test(code);
}

export function filterCatalog(entries: readonly CatalogEntry[], filter: CatalogFilter): CatalogEntry[] {
  const slugs = filter.categories?.length ? resolveCategories(filter.categories) : undefined;
  const matchers = (filter.codes ?? []).map(codeMatcher);
  return entries.filter(
    (e) => (slugs === undefined || slugs.has(e.categorySlug)) && (matchers.length === 0 || matchers.some((m) => m(e.code))),
  );
}

const COLUMNS = ['code', 'category', 'family', 'fault', 'severity'] as const;
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
  code: string[];
}

export function registerCatalogCommand(program: Command): void {
  program
    .command('catalog')
    .description('List the error catalog: every code of the public error guide with category, family, fault and severity')
    .option('--json', 'print the entries as JSON (full descriptions)')
    .addOption(
      new Option('--category <name|slug>', 'only this category; repeatable or comma-separated (e.g. Websocket, block-users)')
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
        entries = filterCatalog(CATALOG, { categories: opts.category, codes: opts.code });
      } catch (err) {
        if (err instanceof UnknownCategoryError) this.error(`error: ${err.message}`, { exitCode: 2, code: 'errpulse.unknownCategory' });
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
