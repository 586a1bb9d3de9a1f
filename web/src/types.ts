// The /v1 answers the console reads, as documented in docs/api.md. Only the fields used are listed;
// extra fields in an answer are ignored, so additions to the API do not break the console.

export interface Point {
  t: string;
  count: number;
  perMinute: number;
}

export interface RatesSeries {
  key: string;
  dimensions: Record<string, string | undefined>;
  other: boolean;
  total: number;
  points: Point[];
}

export interface Rates {
  from: string;
  to: string;
  interval: string;
  groupBy: string[];
  series: RatesSeries[];
}

export interface TopItem {
  value: string;
  count: number;
  previous: number;
  change: number;
  ratio: number | null;
  share: number;
  description: string | null;
}

export interface Top {
  dimension: string;
  window: { from: string; to: string };
  previousWindow: { from: string; to: string };
  total: number;
  previousTotal: number;
  items: TopItem[];
}

export interface Spike {
  /** The family or code; the alerts work may rename or add scope fields, so readers use spikeScope(). */
  scope?: string;
  family?: string;
  code?: string;
  region: string;
  app: string;
  observed: number;
  expected: number;
  mad: number;
  score: number;
  topCode: string;
  description: string;
  fault: string;
  severity: string;
}

export interface Spikes {
  level: string;
  window: { from: string; to: string };
  baseline: { from: string; to: string };
  threshold: number;
  minCount: number;
  spikes: Spike[];
}

export interface QuotaCounts {
  count: number;
  previous: number;
  change: number;
  ratio: number | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

export interface Quota {
  window: { from: string; to: string };
  codes: { code: string; description: string }[];
  apps: (QuotaCounts & { app: string; codes: (QuotaCounts & { code: string })[] })[];
}

export interface ErrorEvent {
  eventId: string;
  time: string;
  app: string;
  region: string;
  code: string;
  category: string;
  fault: string;
  known: boolean;
  httpStatus: number | null;
  method: string;
  route: string;
  requestId: string;
  sdk: string;
  message: string;
  latencyMs: number | null;
}

export interface Events {
  events: ErrorEvent[];
  nextCursor: string | null;
}

export interface CatalogEntry {
  code: string;
  category: string;
  categorySlug: string;
  description: string;
  family: string;
  fault: string;
  severity: string;
  kind?: string;
}

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
