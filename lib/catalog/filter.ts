// Filtering the catalog by category, kind and code, as people type them: the CLI's flags and the API's
// query parameters both come here.
import { CATEGORIES, KINDS, UNKNOWN_CATEGORY, UNKNOWN_CATEGORY_SLUG, UNKNOWN_KIND, type CatalogEntry } from './index.js';
import { slugOf } from './rules.js';

export interface CatalogFilter {
  /** Category names or slugs, any case ("Block Users", "block-users"); empty = all. */
  categories?: readonly string[];
  /** Kinds (limit, server_failure, …; `unknown` selects nothing here), any case; empty = all. */
  kinds?: readonly string[];
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

export class UnknownKindError extends Error {
  constructor(readonly unknown: readonly string[]) {
    super(`unknown kind${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; valid: ${KINDS.join(', ')}`);
    this.name = 'UnknownKindError';
  }
}

/** Kinds as a user types them ("limit", "Server-Failure"). Throws UnknownKindError listing the valid ones. */
export function resolveKinds(inputs: readonly string[]): Set<string> {
  const valid = new Set<string>([...KINDS, UNKNOWN_KIND]);
  const kinds = new Set<string>();
  const unknown: string[] = [];
  for (const input of inputs) {
    const kind = input.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (valid.has(kind)) kinds.add(kind);
    else unknown.push(input);
  }
  if (unknown.length > 0) throw new UnknownKindError(unknown);
  return kinds;
}

// The slug rule that made the catalog's slugs, plus the guide's own "… Errors" heading suffix.
const normalise = (s: string): string => slugOf(s).replace(/-errors$/, '');

// "Unknown" is a category of stored events (codes the guide lacks), so asking for it is valid; no catalog
// entry has it, so it selects nothing here.
const KNOWN_AND_UNKNOWN = [...CATEGORIES, { name: UNKNOWN_CATEGORY, slug: UNKNOWN_CATEGORY_SLUG }];

/** Category slugs for names or slugs as a user types them. Throws UnknownCategoryError listing the valid ones. */
export function resolveCategories(inputs: readonly string[]): Set<string> {
  const slugs = new Set<string>();
  const unknown: string[] = [];
  for (const input of inputs) {
    const found = KNOWN_AND_UNKNOWN.find((c) => c.slug === normalise(input));
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
  const kinds = filter.kinds?.length ? resolveKinds(filter.kinds) : undefined;
  const matchers = (filter.codes ?? []).map(codeMatcher);
  return entries.filter(
    (e) =>
      (slugs === undefined || slugs.has(e.categorySlug)) &&
      (kinds === undefined || kinds.has(e.kind)) &&
      (matchers.length === 0 || matchers.some((m) => m(e.code))),
  );
}
