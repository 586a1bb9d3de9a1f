// The /v1 answers the console reads: the API's own response schemas (type-only imports, erased from the
// bundle), so the console and the API cannot disagree about a field. At run time the console reads only
// the fields it uses and ignores the rest, so additions to the API do not break it.
import type { Static } from '@fastify/type-provider-typebox';
import type { CatalogEntry as StoredCatalogEntry } from '../../lib/catalog/rules.js';
import type { EventsResponse } from '../../services/api/routes/events/schema.js';
import type { QuotaResponse } from '../../services/api/routes/quota/schema.js';
import type { RatesResponse } from '../../services/api/routes/rates/schema.js';
import type { SpikesResponse } from '../../services/api/routes/spikes/schema.js';
import type { TopResponse } from '../../services/api/routes/top/schema.js';

export type Rates = Static<typeof RatesResponse>;
export type RatesSeries = Rates['series'][number];
export type Top = Static<typeof TopResponse>;
export type Quota = Static<typeof QuotaResponse>;
export type Events = Static<typeof EventsResponse>;
export type ErrorEvent = Events['events'][number];
export type Spikes = Static<typeof SpikesResponse>;
export type Spike = Spikes['spikes'][number];
/** `kind` arrives with the catalog's kinds. */
export type CatalogEntry = StoredCatalogEntry & { kind?: string };
export interface Catalog {
  categories: { name: string; slug: string; codes: number }[];
  entries: CatalogEntry[];
}

export interface ApiTypes {
  rates: Rates;
  top: Top;
  spikes: Spikes;
  quota: Quota;
  events: Events;
  catalog: Catalog;
}
