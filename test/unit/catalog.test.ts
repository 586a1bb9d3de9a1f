import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatCatalogTable } from '../../cli/commands/catalog.js';
import { filterCatalog, resolveCategories, resolveKinds, UnknownCategoryError, UnknownKindError } from '../../lib/catalog/filter.js';
import { CATALOG_PATH, buildCatalog, expectedCatalogJson, reviewedKindsOf } from '../../lib/catalog/generate-catalog.js';
import {
  CATALOG,
  CATEGORIES,
  KINDS,
  UNKNOWN_CATEGORY,
  UNKNOWN_KIND,
  categoryOfCode,
  codesOfKind,
  familyOf,
  findEntry,
  kindOf,
  tagCode,
  type Kind,
} from '../../lib/catalog/index.js';

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

describe('kind: what went wrong, one reviewed value per code', () => {
  const kinds = (re: RegExp) => new Set(CATALOG.filter((e) => re.test(e.code)).map((e) => e.kind));
  const codes = (kind: Kind) => CATALOG.filter((e) => e.kind === kind).map((e) => e.code);

  it('gives every one of the 116 codes a category and a kind from the closed vocabulary of at most 10', () => {
    expect(CATALOG).toHaveLength(116);
    expect(KINDS.length).toBeLessThanOrEqual(10);
    expect(KINDS).not.toContain(UNKNOWN_KIND);
    for (const e of CATALOG) {
      expect(CATEGORIES.map((c) => c.name), e.code).toContain(e.category);
      expect(KINDS, e.code).toContain(e.kind);
    }
    // Every kind is used, so none is dead vocabulary.
    expect(new Set(CATALOG.map((e) => e.kind))).toEqual(new Set(KINDS));
  });

  it('does not keep a kind outside the vocabulary: the generator proposes one and --check fails until reviewed', () => {
    const json = JSON.parse(readFileSync(CATALOG_PATH, 'utf8')) as Array<Record<string, unknown>>;
    json[0]!.kind = 'oops';
    delete json[1]!.kind;
    const reviewed = reviewedKindsOf(JSON.stringify(json));
    expect(reviewed.has('AUTH_ERR_EMPTY_APPID')).toBe(false);
    expect(reviewed.has('AUTH_ERR_INVALID_APPID')).toBe(false);
    expect(reviewed.size).toBe(114);
  });

  it('puts codes whose descriptions say the same thing into the same kind', () => {
    // "does not exist": every *_NOT_FOUND resource; the Auth category's header checks are credentials.
    expect(kinds(/^ERR_.*_NOT_FOUND$/)).toEqual(new Set(['not_found']));
    expect(codes('not_found').every((c) => c.endsWith('_NOT_FOUND'))).toBe(true);
    expect(kinds(/^AUTH_ERR_(?!NO_ACCESS)/)).toEqual(new Set(['auth']));
    expect(findEntry('AUTH_ERR_NO_ACCESS')?.kind).toBe('permission');
    // Empty fields; invalid values; self-targeted actions.
    expect(kinds(/^ERR_(.*_)?EMPTY_/)).toEqual(new Set(['missing_input']));
    expect(kinds(/^ERR_INVALID_/)).toEqual(new Set(['invalid_input']));
    expect(kinds(/^ERR_(APIKEY_NO_SELF_ACTION|GROUP_NO_SELF_ACTION|CALLING_SELF|CANNOT_FORM_SELF_RELATION|CANNOT_BLOCK_SELF)$/)).toEqual(
      new Set(['invalid_input']),
    );
    // Already in that state, same value, busy.
    expect(kinds(/ALREADY|_BUSY_|^ERR_SAME_/)).toEqual(new Set(['conflict']));
    // Denied by a rule about the caller or the target.
    expect(kinds(/BLOCKED|_NO_ACCESS$|^ERR_GROUP_NO_|NOT_A_MEMBER|NOT_A_PART|^ERR_BANNED_|DENIED|NOT_ALLOWED/)).toEqual(
      new Set(['permission', 'invalid_input']), // ERR_GROUP_NO_SELF_ACTION is the self-action above
    );
    // Rate limiting, plan quota, subscription and a full group are limits, and only they.
    expect(codes('limit')).toEqual(['ERR_PLAN_RESTRICTION', 'ERR_SUBSCRIPTION_EXPIRED', 'ERR_PLAN_QUOTA_RESTRICTION', 'ERR_NO_VACANCY', 'ERR_TOO_MANY_REQUESTS']);
    // A server failure is exactly a server fault: failed operations, fatal errors, exceptions, the WebSocket server.
    expect(codes('server_failure')).toEqual(CATALOG.filter((e) => e.fault === 'server').map((e) => e.code));
    expect(kinds(/(^|_)FAILED(_|$)|^ERR_WS_/)).toEqual(new Set(['server_failure']));
  });

  it('has the reviewed number of codes per kind', () => {
    const counts = Object.fromEntries(KINDS.map((k) => [k, codes(k).length]));
    expect(counts).toEqual({
      not_found: 13, missing_input: 9, invalid_input: 19, conflict: 17, permission: 20, auth: 8, limit: 5, server_failure: 25,
    });
  });

  it('answers a code\'s kind and a kind\'s codes, with unknown for codes the catalog lacks', () => {
    expect(kindOf('ERR_TOO_MANY_REQUESTS')).toBe('limit');
    expect(kindOf('ERR_WS_SOMETHING_NEW')).toBe('unknown');
    expect(codesOfKind('limit')).toEqual(codes('limit'));
    expect(codesOfKind('auth')).toContain('AUTH_ERR_APIKEY_NOT_FOUND');
    for (const k of KINDS) for (const code of codesOfKind(k)) expect(kindOf(code)).toBe(k);
  });

  it('is documented in docs/catalog.md: each kind with exactly its codes', () => {
    const doc = readFileSync(new URL('../../docs/catalog.md', import.meta.url), 'utf8');
    for (const kind of KINDS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${kind}\` |`));
      expect(row, kind).toBeDefined();
      const listed = [...row!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
      expect(listed, kind).toEqual(codes(kind));
    }
  });

  it('keeps reviewed kinds when regenerating and only proposes one for a code without', () => {
    const reviewed = reviewedKindsOf(readFileSync(CATALOG_PATH, 'utf8'));
    expect(reviewed.size).toBe(116);
    const kept = buildCatalog(GUIDE, new Map([...reviewed, ['ERR_NO_VACANCY', 'conflict']]));
    expect(kept.find((e) => e.code === 'ERR_NO_VACANCY')?.kind).toBe('conflict');
    // Severity follows the kind: a limit is medium, a conflict low.
    expect(kept.find((e) => e.code === 'ERR_NO_VACANCY')?.severity).toBe('low');
    const proposed = buildCatalog(GUIDE);
    expect(proposed.find((e) => e.code === 'ERR_GUID_NOT_FOUND')?.kind).toBe('not_found');
    expect(proposed.find((e) => e.code === 'ERR_WS_INIT_FAILED')?.kind).toBe('server_failure');
    expect(proposed.find((e) => e.code === 'ERR_EMPTY_RECEIVER')?.kind).toBe('missing_input');
    expect(proposed.find((e) => e.code === 'ERR_TOO_MANY_REQUESTS')?.kind).toBe('limit');
  });
});

describe('category of a code the catalog lacks', () => {
  it('is the category of the longest known token prefix, else Unknown', () => {
    expect(categoryOfCode('ERR_CALL_SOMETHING_NEW')).toEqual({ category: 'Calling', categorySlug: 'calling' });
    expect(categoryOfCode('ERR_WS_NEW').category).toBe('Websocket');
    expect(categoryOfCode('ERR_GROUP_NO_NEW_THING').category).toBe('Group');
    expect(categoryOfCode('ERR_AUTH_TOKEN_NEW').category).toBe('Auth Token');
    expect(categoryOfCode('AUTH_ERR_NEW').category).toBe('Auth');
    expect(categoryOfCode('ERR_EMPTY_MESSAGE_NEW').category).toBe('Message');
    // ERR_EMPTY_* spans Group, Message and Calling; ERR_* spans everything.
    expect(categoryOfCode('ERR_EMPTY_NEW').category).toBe(UNKNOWN_CATEGORY);
    expect(categoryOfCode('ERR_BRAND_NEW_THING').category).toBe(UNKNOWN_CATEGORY);
    expect(categoryOfCode('err_ws_lower').category).toBe(UNKNOWN_CATEGORY);
    expect(categoryOfCode('ERR_UID_NOT_FOUND').category).toBe('User');
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
    for (const code of codesOfKind('limit')) expect(findEntry(code)?.severity, code).toBe('medium');
    expect(CATALOG.filter((e) => e.severity === 'critical').map((e) => e.code)).toHaveLength(11);
  });
});

describe('tagCode', () => {
  it('returns the precomputed, frozen tags of a known code (same object every call)', () => {
    const tags = tagCode('ERR_WS_INIT_FAILED');
    expect(tags).toEqual({
      category: 'Websocket', categorySlug: 'websocket', family: 'ERR_WS', fault: 'server', severity: 'critical', known: true,
    });
    expect(tagCode('ERR_WS_INIT_FAILED')).toBe(tags);
    expect(Object.isFrozen(tags)).toBe(true);
  });

  it('tags a code the guide does not list with the category of its longest known prefix', () => {
    expect(tagCode('ERR_WS_SOMETHING_NEW')).toEqual({
      category: 'Websocket', categorySlug: 'websocket', family: 'ERR_WS', fault: 'unknown', severity: 'medium', known: false,
    });
    expect(tagCode('ERR_BRAND_NEW')).toMatchObject({ category: UNKNOWN_CATEGORY, known: false });
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

  it('filters by kind, any case, combined with category and code', () => {
    expect(filterCatalog(CATALOG, { kinds: ['limit'] }).map((e) => e.code)).toEqual(codesOfKind('limit'));
    expect(filterCatalog(CATALOG, { kinds: ['Server-Failure'], categories: ['General'] }).map((e) => e.code)).toEqual([
      'ERR_MISSION_FAILED', 'ERR_OPERATION_FAILED', 'ERR_EXCEPTION', 'ERR_BAD_ERROR_RESPONSE',
    ]);
    expect(filterCatalog(CATALOG, { kinds: ['conflict'], codes: ['ERR_CALL_*'] })).toHaveLength(10);
    expect(filterCatalog(CATALOG, { kinds: ['unknown'] })).toEqual([]);
    expect(() => resolveKinds(['limit', 'quota'])).toThrow(UnknownKindError);
    expect(() => resolveKinds(['quota'])).toThrow(/"quota".*valid: not_found, missing_input, .*server_failure/);
  });

  it('names the valid categories when given an unknown one', () => {
    expect(() => resolveCategories(['Websocket', 'Nope'])).toThrow(UnknownCategoryError);
    expect(() => resolveCategories(['Nope'])).toThrow(/"Nope".*Block Users \(block-users\).*Websocket \(websocket\)/);
  });

  it('prints an aligned table with the first description line cut to the width', () => {
    const lines = formatCatalogTable(filterCatalog(CATALOG, { codes: ['ERR_UID_NOT_FOUND', 'ERR_WS_INIT_FAILED'] }), 100).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^CODE +CATEGORY +KIND +FAULT +SEVERITY +DESCRIPTION$/);
    expect(lines[1]).toMatch(/^ERR_UID_NOT_FOUND +User +not_found +client +low +Indicates any one of the following:$/);
    const column = lines[0]!.indexOf('KIND');
    expect(lines[2]!.indexOf('server_failure')).toBe(column);
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

    const limits = JSON.parse((await run(cli[0], [...cli[1], '--json', '--kind', 'limit'], { cwd: ROOT })).stdout) as { code: string; kind: string }[];
    expect(limits.map((e) => e.code)).toEqual(codesOfKind('limit'));
    const table = (await run(cli[0], [...cli[1], '--kind', 'limit,auth', '--category', 'General'], { cwd: ROOT })).stdout.trim().split('\n');
    expect(table.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['ERR_TOO_MANY_REQUESTS']);
    const badKind = await run(cli[0], [...cli[1], '--kind', 'quota'], { cwd: ROOT }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(badKind?.code).toBe(2);
    expect(badKind?.stderr).toContain('unknown kind "quota"');

    const failed = await run(cli[0], [...cli[1], '--category', 'Nope'], { cwd: ROOT }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('unknown category "Nope"');
  }, 90_000);
});
