// A detector scope in words and by level, for the API and the console; the alert annotations say the
// same with Go templates (dashboards/alerts/text.ts).
import { KIND_DESCRIPTIONS, isKind } from '../catalog/index.js';
import type { LocationLevel } from './query.js';

export interface ScopeLabels {
  region: string;
  app_id: string;
  kind: string;
  category: string;
  code: string;
}

export function locationOf(s: Pick<ScopeLabels, 'region' | 'app_id'>): LocationLevel {
  if (s.region && s.app_id) return 'region_app';
  if (s.app_id) return 'app';
  if (s.region) return 'region';
  return 'global';
}

/** "server failure errors in Websocket, region eu", "auth errors (AUTH_ERR_APIKEY_NOT_FOUND), app app-1f2". */
export function scopeWords(s: ScopeLabels): string {
  const kind = isKind(s.kind) ? `${KIND_DESCRIPTIONS[s.kind].label} errors` : `${s.kind} errors`;
  const parts = [`${kind}${s.category ? ` in ${s.category}` : ''}${s.code ? ` (${s.code})` : ''}`];
  if (s.region) parts.push(`region ${s.region}`);
  if (s.app_id) parts.push(`app ${s.app_id}`);
  if (!s.region && !s.app_id) parts.push('across the platform');
  return parts.join(', ');
}
