// Words for alert annotations, taken from the catalog so that a page quotes the guide instead of
// paraphrasing it. The templates are Go templates over the instance's labels; an empty label (the detector's
// "every region", "every app", …) is dropped by Grafana and Alertmanager and reads as false here.
import { CATALOG, KIND_DESCRIPTIONS, findEntry, isKind } from '../../lib/catalog/index.js';

/** `CODE: first line of its catalog description`. */
export function quote(code: string): string {
  const entry = findEntry(code);
  if (!entry) throw new Error(`alert rules quote ${code}, which is not in the catalog`);
  return `${code}: "${entry.description.split('\n', 1)[0]!.trim()}"`;
}

/** A Go template choosing the text for the value of `label`, computed from `texts` now. */
export function textByLabel(label: string, texts: ReadonlyMap<string, string>, otherwise: string): string {
  const branches = [...texts].map(([value, text], i) => `{{ ${i === 0 ? 'if' : 'else if'} eq $labels.${label} "${value}" }}${text}`);
  return branches.length === 0 ? otherwise : `${branches.join('')}{{ else }}${otherwise}{{ end }}`;
}

/** "server failure errors in Websocket (ERR_WS_INIT_FAILED), region eu, app app-1" or "…, across the platform". */
export const SCOPE_WORDS =
  `${textByLabel('kind', new Map(Object.entries(KIND_DESCRIPTIONS).map(([kind, d]) => [kind, `${d.label} errors`])), '{{ $labels.kind }} errors')}` +
  '{{ if $labels.category }} in {{ $labels.category }}{{ end }}' +
  '{{ if $labels.code }} ({{ $labels.code }}){{ end }}' +
  '{{ if $labels.region }}, region {{ $labels.region }}{{ end }}' +
  '{{ if $labels.app_id }}, app {{ $labels.app_id }}{{ end }}' +
  '{{ if not (or $labels.region $labels.app_id) }}, across the platform{{ end }}';

/** The catalog's description of the instance's code, when the scope names one. */
export function codeQuote(kind: string): string {
  const quotes = new Map(CATALOG.filter((e) => e.kind === kind).map((e) => [e.code, quote(e.code)]));
  return `{{ if $labels.code }}Catalog: ${textByLabel('code', quotes, '{{ $labels.code }}')}{{ end }}`;
}

/** The catalog's meaning of a kind, quoted. */
export function kindQuote(kind: string): string {
  if (!isKind(kind)) throw new Error(`${kind} is not a catalog kind`);
  const d = KIND_DESCRIPTIONS[kind];
  return `Kind ${kind} (${d.label}): "${d.meaning}"`;
}

export const score = '{{ printf "%.1f" $values.A.Value }}';
