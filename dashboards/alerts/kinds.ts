// The catalog kinds the rules route on. What each kind means, and which codes it holds, is the catalog's
// (lib/catalog, docs/catalog.md); the rules only name them.
import { UNKNOWN_KIND, type Kind } from '../../lib/catalog/index.js';

export const KIND = {
  server: 'server_failure',
  auth: 'auth',
  limit: 'limit',
  unknown: UNKNOWN_KIND,
} as const satisfies Record<string, Kind | typeof UNKNOWN_KIND>;
