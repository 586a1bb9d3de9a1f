// The catalog in SQL: how a query reads a code's category and kind from the error_catalog_dict
// dictionary (migrations 0003, 0006), so stored rows need only their code and a re-reviewed catalog
// applies to all history at the next `errpulse migrate`. The API, the dashboards and the alert rules
// share these expressions; docs/decisions/0006 says why the lookup happens at query time.

/** The dictionary `errpulse migrate` fills from catalog.json. */
export const CATALOG_DICTIONARY = 'error_catalog_dict';

/**
 * The kind of the code in `codeExpr`: its reviewed kind, `unknown` for a code the catalog lacks (the
 * dictionary's default).
 */
export function kindSql(codeExpr = 'code'): string {
  return `dictGet('${CATALOG_DICTIONARY}', 'kind', tuple(${codeExpr}))`;
}

/**
 * The category of the code in `codeExpr`: the catalog's, or for a code the catalog lacks the category the
 * row was stored with (ingest's longest-prefix guess, lib/catalog categoryOfCode), in `storedExpr`.
 */
export function categorySql(codeExpr = 'code', storedExpr = 'category'): string {
  return `dictGetOrDefault('${CATALOG_DICTIONARY}', 'category', tuple(${codeExpr}), ${storedExpr})`;
}
