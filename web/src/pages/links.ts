// Links from what a page shows to the pages that narrow it down.
import { hrefFor, type View } from '../route.js';

const FILTERABLE = ['app', 'region', 'category', 'kind', 'code'] as const;

/** Events matching a series' dimensions (family becomes a code prefix), optionally in one bucket. */
export function eventsHref(view: View, dimensions: Record<string, string | undefined>, range?: { from: Date; to: Date }): string {
  const changes: Record<string, string | null> = {};
  for (const name of FILTERABLE) if (dimensions[name]) changes[name] = dimensions[name] as string;
  if (dimensions.family && !dimensions.code) changes.code = `${dimensions.family}_*`;
  if (range) {
    changes.from = range.from.toISOString();
    changes.to = range.to.toISOString();
  }
  return hrefFor('events', '', view.params, changes);
}

export function appHref(view: View, app: string, changes: Record<string, string | null> = {}): string {
  return hrefFor('app', app, view.params, { app: null, ...changes });
}
