// GET /v1/catalog and /v1/catalog/{code}: the error guide as data, straight from lib/catalog (no SQL).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { filterCatalog } from '../../../../lib/catalog/filter.js';
import { CATALOG, CATEGORIES, KINDS, KIND_DESCRIPTIONS, codesOfKind, findEntry } from '../../../../lib/catalog/index.js';
import { ApiError } from '../../errors.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { resolveFilters } from '../../query/filters.js';
import { getCatalogEntrySchema, listCatalogSchema } from './schema.js';

const CODES_PER_CATEGORY: ReadonlyMap<string, number> = CATALOG.reduce(
  (counts, e) => counts.set(e.category, (counts.get(e.category) ?? 0) + 1),
  new Map<string, number>(),
);

export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('', { schema: { ...listCatalogSchema, security: BEARER_SECURITY } }, async (request) => {
    // The catalog is no app's data, so the scope does not narrow it; the filter parsing is shared.
    const filters = resolveFilters(request.query, { name: 'catalog', apps: null });
    const entries = filterCatalog(CATALOG, {
      categories: filters.categories,
      kinds: filters.kinds,
      codes: [...filters.codes, ...filters.codePrefixes.map((prefix) => `${prefix}*`)],
    });
    return {
      categories: CATEGORIES.map((c) => ({ name: c.name, slug: c.slug, codes: CODES_PER_CATEGORY.get(c.name) ?? 0 })),
      kinds: KINDS.map((k) => ({ name: k, ...KIND_DESCRIPTIONS[k], codes: codesOfKind(k).length })),
      entries,
    };
  });

  app.get('/:code', { schema: { ...getCatalogEntrySchema, security: BEARER_SECURITY } }, async (request) => {
    const entry = findEntry(request.params.code);
    if (!entry) throw new ApiError(404, 'ERR_API_NOT_FOUND', `code '${request.params.code}' is not in the error catalog`);
    return entry;
  });
};
