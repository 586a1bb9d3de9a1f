// Turns the vendored public error guide (error-guide.txt, a text copy of the web page) into the
// checked-in, reviewed catalog.json. Run `npm run catalog:generate` after updating the guide and
// review the diff; `npm run catalog:generate -- --check` only verifies the JSON is up to date.
// Every field but `kind` follows from the guide and rules.ts. The kind is a person's judgement of the
// description: the generator keeps the kind catalog.json already has for a code and only proposes one
// (proposeKind, printed for review) for a code that has none yet.
//
// Guide shape: a preamble, then `<Name> Errors` headings, each followed by lines `CODEDescription`
// (the code glued to its description). A description continues over the following lines (numbered
// lists, "For example, …" paragraphs) until the next code line or heading.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ACCESS_CATEGORIES, faultOf, familyOf, isKind, proposeKind, severityOf, slugOf, type CatalogEntry, type Kind } from './rules.js';

export const EXPECTED_CODES = 116;
export const EXPECTED_CATEGORIES = 16;

export const GUIDE_PATH = fileURLToPath(new URL('./error-guide.txt', import.meta.url));
export const CATALOG_PATH = fileURLToPath(new URL('./catalog.json', import.meta.url));


const HEADING = /^([A-Z][A-Za-z ]*?) Errors$/;
// The code is upper-case tokens joined by `_`; the description starts with a capitalised word, so
// backtracking hands the code's apparent last letter ("…APPIDIndicates") back to the description.
const CODE_LINE = /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)([A-Z][a-z].*)$/;

interface RawEntry {
  code: string;
  category: string;
  lines: string[];
  lineNo: number;
}

/** Parses the guide into entries in guide order. Throws with a line number on anything it cannot place. */
export function parseGuide(text: string): RawEntry[] {
  const entries: RawEntry[] = [];
  let category: string | undefined;
  let current: RawEntry | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    const heading = HEADING.exec(line);
    const codeLine = CODE_LINE.exec(line);
    if (heading && !codeLine) {
      category = heading[1];
      current = undefined;
    } else if (codeLine) {
      if (category === undefined) throw new Error(`error guide line ${i + 1}: code ${codeLine[1]} before any "… Errors" heading`);
      current = { code: codeLine[1]!, category, lines: [codeLine[2]!], lineNo: i + 1 };
      entries.push(current);
    } else if (current) {
      current.lines.push(line);
    } else if (category !== undefined && line !== '') {
      throw new Error(`error guide line ${i + 1}: text under "${category} Errors" before its first code: ${JSON.stringify(line)}`);
    }
    // Anything before the first heading is the page's preamble ("Skip to main content", table header).
  });
  return entries;
}

/** Joins description lines: trailing whitespace and leading/trailing blank lines dropped, blank runs → one blank line. */
function normaliseDescription(lines: readonly string[]): string {
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The catalog for a guide text, with the reviewed kinds (code → kind) kept and a proposal for any code
 * without one. Fails loudly unless it holds exactly 116 unique codes in 16 categories.
 */
export function buildCatalog(guideText: string, reviewedKinds: ReadonlyMap<string, Kind> = new Map()): CatalogEntry[] {
  const raw = parseGuide(guideText);
  const problems: string[] = [];

  const seen = new Map<string, number>();
  for (const { code, lineNo } of raw) {
    const first = seen.get(code);
    if (first !== undefined) problems.push(`duplicate code ${code} (lines ${first} and ${lineNo})`);
    else seen.set(code, lineNo);
  }
  const categories = [...new Set(raw.map((e) => e.category))];
  const slugs = new Set(categories.map(slugOf));
  if (raw.length !== EXPECTED_CODES) problems.push(`expected ${EXPECTED_CODES} codes, found ${raw.length}`);
  if (categories.length !== EXPECTED_CATEGORIES) {
    problems.push(`expected ${EXPECTED_CATEGORIES} categories with codes, found ${categories.length}: ${categories.join(', ')}`);
  }
  if (slugs.size !== categories.length) problems.push(`two categories share a slug: ${categories.join(', ')}`);
  for (const name of ACCESS_CATEGORIES) {
    if (!categories.includes(name)) problems.push(`severity rule names category "${name}", which the guide no longer has`);
  }
  if (problems.length > 0) throw new Error(`error guide does not parse as expected:\n  - ${problems.join('\n  - ')}`);

  return raw.map(({ code, category, lines }) => {
    const kind = reviewedKinds.get(code) ?? proposeKind(code);
    return {
      code,
      category,
      categorySlug: slugOf(category),
      description: normaliseDescription(lines),
      kind,
      family: familyOf(code),
      fault: faultOf(code),
      severity: severityOf(code, category, kind),
    };
  });
}

/** The reviewed kinds of a catalog.json text; entries without a valid kind are left out (they get a proposal). */
export function reviewedKindsOf(catalogJson: string | undefined): Map<string, Kind> {
  if (catalogJson === undefined) return new Map();
  const entries = JSON.parse(catalogJson) as Array<{ code: string; kind?: unknown }>;
  return new Map(entries.flatMap((e) => (typeof e.kind === 'string' && isKind(e.kind) ? [[e.code, e.kind] as const] : [])));
}

function readCatalogJson(): string | undefined {
  try {
    return readFileSync(CATALOG_PATH, 'utf8');
  } catch {
    return undefined;
  }
}

/** The exact bytes of catalog.json for a catalog. */
export function renderCatalog(entries: readonly CatalogEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}

/** What catalog.json must contain for the vendored guide and the kinds reviewed so far. */
export function expectedCatalogJson(guidePath = GUIDE_PATH): string {
  return renderCatalog(buildCatalog(readFileSync(guidePath, 'utf8'), reviewedKindsOf(readCatalogJson())));
}

function main(argv: readonly string[]): number {
  const current = readCatalogJson();
  const reviewed = reviewedKindsOf(current);
  const expected = renderCatalog(buildCatalog(readFileSync(GUIDE_PATH, 'utf8'), reviewed));
  const proposed = (JSON.parse(expected) as CatalogEntry[]).filter((e) => !reviewed.has(e.code));
  for (const e of proposed) console.error(`proposed kind ${e.kind} for ${e.code} ("${e.description.split('\n', 1)[0]}"): review it`);
  if (argv.includes('--check')) {
    if (current === expected) return 0;
    console.error(`${CATALOG_PATH} is stale; run \`npm run catalog:generate\` and review the diff`);
    return 1;
  }
  if (current !== expected) writeFileSync(CATALOG_PATH, expected);
  console.error(`${current === expected ? 'unchanged' : 'wrote'} ${CATALOG_PATH} (${EXPECTED_CODES} codes, ${EXPECTED_CATEGORIES} categories)`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
