import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatCatalogTable } from '../../cli/commands/catalog.js';
import { filterCatalog, resolveCategories, UnknownCategoryError } from '../../lib/catalog/filter.js';
import { CATALOG_PATH, expectedCatalogJson } from '../../lib/catalog/generate-catalog.js';
import { CATALOG, CATEGORIES, QUOTA_CODES, UNKNOWN_CATEGORY, familyOf, findEntry, tagCode } from '../../lib/catalog/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUIDE = readFileSync(new URL('../../lib/catalog/error-guide.txt', import.meta.url), 'utf8');

interface GuideCode {
  code: string;
  category: string;
  lines: string[];
}

// Deliberately not the generator's parser: every description in the guide starts with "Indicates",
// so a code line is "<UPPER_CASE>Indicates…"; a heading is "<Name> Errors".
function readGuide(text: string): GuideCode[] {
  const codes: GuideCode[] = [];
  let category: string | undefined;
  let current: GuideCode | undefined;
  for (const line of text.split('\n')) {
    const at = line.indexOf('Indicates');
    if (at > 0 && /^[A-Z_]+$/.test(line.slice(0, at))) {
      current = { code: line.slice(0, at), category: category!, lines: [line.slice(at)] };
      codes.push(current);
    } else if (line.endsWith(' Errors')) {
      category = line.slice(0, -' Errors'.length);
      current = undefined;
    } else if (current && line.trim() !== '') {
      current.lines.push(line.trim());
    }
  }
  return codes;
}

const guide = readGuide(GUIDE);

describe('catalog against the error guide', () => {
  it('reads 116 codes in 16 categories from the guide', () => {
    expect(guide).toHaveLength(116);
    expect(new Set(guide.map((g) => g.code)).size).toBe(116);
    expect(new Set(guide.map((g) => g.category)).size).toBe(16);
  });

  it('holds exactly the guide codes, in guide order, each with the guide category', () => {
    expect(CATALOG.map((e) => e.code)).toEqual(guide.map((g) => g.code));
    for (const g of guide) expect(findEntry(g.code)?.category, g.code).toBe(g.category);
  });

  it('lists the 16 categories in guide order with stable slugs', () => {
    expect(CATEGORIES.map((c) => c.name)).toEqual([...new Set(guide.map((g) => g.category))]);
    expect(CATEGORIES.map((c) => c.slug)).toEqual([
      'auth', 'api-key', 'auth-token', 'subscription', 'role', 'user', 'bots', 'group',
      'message', 'calling', 'friends', 'block-users', 'extension', 'webhook', 'general', 'websocket',
    ]);
    for (const e of CATALOG) expect(CATEGORIES.find((c) => c.name === e.category)?.slug).toBe(e.categorySlug);
  });

  it('keeps every line of a description: numbered lists and examples', () => {
    for (const g of guide) {
      const description = findEntry(g.code)!.description;
      for (const line of g.lines) expect(description, g.code).toContain(line);
      expect(description).not.toMatch(/\n\n\n|^\s|\s$/);
    }
    expect(findEntry('ERR_UID_NOT_FOUND')!.description).toBe(
      'Indicates any one of the following:\n1. UID does not exist.\n2. User is soft deleted.',
    );
    expect(findEntry('ERR_API_NOT_FOUND')!.description).toContain('\n1. API endpoint does not exist.\n2. The endpoint');
    expect(findEntry('AUTH_ERR_NO_ACCESS')!.description).toMatch(/action\.\n\nFor example, the API key with authOnly scope/);
  });

  it('is exactly what the generator produces from the vendored guide (run npm run catalog:generate if not)', () => {
    expect(readFileSync(CATALOG_PATH, 'utf8')).toBe(expectedCatalogJson());
  });
});

describe('fault, family and severity rules', () => {
  it('marks the websocket layer and every FAILED code as server faults', () => {
    const ws = CATALOG.filter((e) => e.code.startsWith('ERR_WS_'));
    expect(ws).toHaveLength(10);
    for (const e of ws) expect(e.fault, e.code).toBe('server');
    for (const e of CATALOG.filter((x) => /(^|_)FAILED(_|$)/.test(x.code))) expect(e.fault, e.code).toBe('server');
    for (const code of ['ERR_MISSION_FAILED', 'ERR_OPERATION_FAILED', 'ERR_EXCEPTION', 'ERR_BAD_ERROR_RESPONSE', 'ERR_FAILED_TO_ADD_FRIEND']) {
      expect(findEntry(code)?.fault, code).toBe('server');
    }
    for (const code of ['ERR_BAD_REQUEST', 'ERR_TOO_MANY_REQUESTS', 'AUTH_ERR_NO_ACCESS', 'ERR_CALL_BUSY_USER']) {
      expect(findEntry(code)?.fault, code).toBe('client');
    }
    expect(CATALOG.filter((e) => e.fault === 'server')).toHaveLength(25);
  });

  it('groups codes into families by their first two tokens, with the few aliases', () => {
    expect(findEntry('ERR_WS_INIT_FAILED')?.family).toBe('ERR_WS');
    expect(findEntry('AUTH_ERR_NO_ACCESS')?.family).toBe('AUTH_ERR');
    expect(findEntry('ERR_CALLING_SELF')?.family).toBe('ERR_CALL');
    expect(findEntry('ERR_CALL_BUSY_SELF')?.family).toBe('ERR_CALL');
    expect(findEntry('ERR_GROUP_NO_ADMIN_SCOPE')?.family).toBe('ERR_GROUP');
    expect(findEntry('ERR_MEMBER_BAN_FAILED')?.family).toBe('ERR_MEMBER');
    expect(findEntry('ERR_MESSAGE_NO_ACCESS')?.family).toBe('ERR_MESSAGE');
    expect(findEntry('ERR_AUTHTOKEN_UNAVAILABLE')?.family).toBe(findEntry('ERR_AUTH_TOKEN_NOT_FOUND')?.family);
    for (const e of CATALOG) {
      expect(e.family, e.code).toBe(familyOf(e.code));
      expect(e.code.startsWith(e.family), `${e.code} starts with its family`).toBe(true);
    }
  });

  it('rates severity by the documented rule', () => {
    expect(findEntry('ERR_WS_GROUP_JOIN_FAILED')?.severity).toBe('critical');
    expect(findEntry('ERR_MISSION_FAILED')?.severity).toBe('critical');
    expect(findEntry('ERR_OPERATION_FAILED')?.severity).toBe('high');
    expect(findEntry('ERR_AUTH_TOKEN_DELETE_FAILED')?.severity).toBe('high');
    expect(findEntry('AUTH_ERR_EMPTY_APPID')?.severity).toBe('medium');
    expect(findEntry('ERR_APIKEY_NOT_FOUND')?.severity).toBe('medium');
    expect(findEntry('ERR_BAD_REQUEST')?.severity).toBe('low');
    expect(findEntry('ERR_CALL_BUSY_USER')?.severity).toBe('low');
    for (const code of QUOTA_CODES) expect(findEntry(code)?.severity, code).toBe('medium');
    expect(CATALOG.filter((e) => e.severity === 'critical').map((e) => e.code)).toHaveLength(11);
  });
});

describe('tagCode', () => {
  it('returns the precomputed, frozen tags of a known code (same object every call)', () => {
    const tags = tagCode('ERR_WS_INIT_FAILED');
    expect(tags).toEqual({ category: 'Websocket', categorySlug: 'websocket', family: 'ERR_WS', fault: 'server', severity: 'critical', known: true });
    expect(tagCode('ERR_WS_INIT_FAILED')).toBe(tags);
    expect(Object.isFrozen(tags)).toBe(true);
  });

  it('tags a code the guide does not list by its family', () => {
    expect(tagCode('ERR_WS_SOMETHING_NEW')).toEqual({
      category: UNKNOWN_CATEGORY, categorySlug: 'unknown', family: 'ERR_WS', fault: 'unknown', severity: 'medium', known: false,
    });
    expect(tagCode('ERR_CALLING_OTHER').family).toBe('ERR_CALL');
    expect(tagCode('AUTH_ERR_NEW').family).toBe('AUTH_ERR');
    expect(tagCode('ERR_X').family).toBe('ERR_X');
  });

  it('gives a malformed code family UNKNOWN instead of throwing', () => {
    for (const code of ['', 'err_ws_lower', 'ERR', '_ERR_X', 'ERR__X']) {
      expect(tagCode(code), JSON.stringify(code)).toMatchObject({ category: 'Unknown', family: 'UNKNOWN', known: false });
    }
  });
});

describe('errpulse catalog', () => {
  it('filters by category name or slug, repeatable, in guide order', () => {
    const codes = (categories: string[]) => filterCatalog(CATALOG, { categories }).map((e) => e.code);
    expect(codes(['Websocket'])).toHaveLength(10);
    expect(codes(['websocket'])).toEqual(codes(['Websocket']));
    expect(codes(['block users', 'API Key'])).toEqual(['ERR_APIKEY_NOT_FOUND', 'ERR_APIKEY_NO_SELF_ACTION', 'ERR_CANNOT_BLOCK_SELF', 'ERR_BLOCKED_RECEIVER', 'ERR_BLOCKED_SENDER']);
    expect(resolveCategories(['Auth Token', 'auth-token'])).toEqual(new Set(['auth-token']));
  });

  it('filters by code and * pattern', () => {
    expect(filterCatalog(CATALOG, { codes: ['ERR_WS_*'] })).toHaveLength(10);
    // Unknown is where stored events of unlisted codes go; the catalog itself has none.
    expect(filterCatalog(CATALOG, { categories: ['Unknown'] })).toEqual([]);
    expect(filterCatalog(CATALOG, { codes: ['err_bad_request'] }).map((e) => e.code)).toEqual(['ERR_BAD_REQUEST']);
    expect(filterCatalog(CATALOG, { codes: ['*_FAILED'], categories: ['General'] }).map((e) => e.code)).toEqual([
      'ERR_MISSION_FAILED', 'ERR_OPERATION_FAILED',
    ]);
  });

  it('names the valid categories when given an unknown one', () => {
    expect(() => resolveCategories(['Websocket', 'Nope'])).toThrow(UnknownCategoryError);
    expect(() => resolveCategories(['Nope'])).toThrow(/"Nope".*Block Users \(block-users\).*Websocket \(websocket\)/);
  });

  it('prints an aligned table with the first description line cut to the width', () => {
    const lines = formatCatalogTable(filterCatalog(CATALOG, { codes: ['ERR_UID_NOT_FOUND', 'ERR_WS_INIT_FAILED'] }), 100).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^CODE +CATEGORY +FAMILY +FAULT +SEVERITY +DESCRIPTION$/);
    expect(lines[1]).toMatch(/^ERR_UID_NOT_FOUND +User +ERR_UID +client +low +Indicates any one of the following:$/);
    const column = lines[0]!.indexOf('FAMILY');
    expect(lines[2]!.indexOf('ERR_WS', 'ERR_WS_INIT_FAILED'.length)).toBe(column);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    const narrow = formatCatalogTable(CATALOG).split('\n');
    const start = narrow[0]!.indexOf('DESCRIPTION');
    for (const line of narrow) expect(line.length - start).toBeLessThanOrEqual(60);
  });

  it('runs from the CLI: --json --category Websocket, and exit code 2 for an unknown category', async () => {
    const run = promisify(execFile);
    const cli = [process.execPath, ['--import', 'tsx', 'cli/errpulse.ts', 'catalog']] as const;
    const { stdout } = await run(cli[0], [...cli[1], '--json', '--category', 'Websocket'], { cwd: ROOT });
    const entries = JSON.parse(stdout) as { code: string; fault: string }[];
    expect(entries.map((e) => e.code)).toEqual(CATALOG.filter((e) => e.category === 'Websocket').map((e) => e.code));
    expect(entries.every((e) => e.fault === 'server')).toBe(true);

    const failed = await run(cli[0], [...cli[1], '--category', 'Nope'], { cwd: ROOT }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('unknown category "Nope"');
  }, 30_000);
});
