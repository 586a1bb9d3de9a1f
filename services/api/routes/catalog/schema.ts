import { Type, type Static } from '@fastify/type-provider-typebox';
import { KINDS } from '../../../../lib/catalog/index.js';
import { API_ERROR_EVENT_V1_SCHEMA } from '../../../../lib/contract/index.js';
import { ErrorEnvelope, ERROR_RESPONSES } from '../../errors.js';
import { filterQuerySchema } from '../../query/filters.js';

export const CatalogEntrySchema = Type.Object({
  code: Type.String({ examples: ['ERR_WS_INIT_FAILED'] }),
  category: Type.String({ examples: ['WebSocket'] }),
  categorySlug: Type.String({ examples: ['websocket'] }),
  description: Type.String(),
  kind: Type.String({ enum: [...KINDS], description: 'What went wrong, reviewed per code (see docs/catalog.md)', examples: ['server_failure'] }),
  family: Type.String({ description: 'Deprecated, use kind or category: the first two tokens of the code', examples: ['ERR_WS'] }),
  fault: Type.String({ enum: ['client', 'server'] }),
  severity: Type.String({ enum: ['critical', 'high', 'medium', 'low'] }),
});

export const CatalogQuery = Type.Object(
  { category: filterQuerySchema.category, kind: filterQuerySchema.kind, code: filterQuerySchema.code },
  { additionalProperties: false },
);
export type CatalogQueryValues = Static<typeof CatalogQuery>;

const { 400: badRequest, 401: unauthorized, 429: tooMany, 500: failed } = ERROR_RESPONSES;

export const listCatalogSchema = {
  summary: 'Catalog entries',
  description: 'Every code of the error guide with its category, kind, fault and severity, optionally filtered by category, kind or code; and the kind vocabulary with what each kind means.',
  tags: ['catalog'],
  querystring: CatalogQuery,
  response: {
    200: Type.Object({
      categories: Type.Array(Type.Object({ name: Type.String(), slug: Type.String(), codes: Type.Integer() })),
      kinds: Type.Array(Type.Object({ name: Type.String(), label: Type.String(), meaning: Type.String(), codes: Type.Integer() })),
      entries: Type.Array(CatalogEntrySchema),
    }),
    400: badRequest,
    401: unauthorized,
    429: tooMany,
    500: failed,
  },
};

export const CatalogCodeParams = Type.Object(
  {
    code: Type.String({ pattern: API_ERROR_EVENT_V1_SCHEMA.properties.code.pattern, description: 'an error code such as ERR_UID_NOT_FOUND' }),
  },
  { additionalProperties: false },
);
export type CatalogCodeParamsValues = Static<typeof CatalogCodeParams>;

export const getCatalogEntrySchema = {
  summary: 'One catalog entry',
  tags: ['catalog'],
  params: CatalogCodeParams,
  response: {
    200: CatalogEntrySchema,
    400: badRequest,
    401: unauthorized,
    404: { ...ErrorEnvelope, description: 'ERR_API_NOT_FOUND: the code is not in the catalog' },
    429: tooMany,
    500: failed,
  },
};
