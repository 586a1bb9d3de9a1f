import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../../services/api/plugins/auth.js';
import { createToken, hashToken, listTokens, matchToken, readTokenFile, revokeToken, TokenStoreError } from '../../../services/api/auth/token-store.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'errpulse-tokens-'));
  file = join(dir, 'nested', 'tokens.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('token store', () => {
  it('prints a random token once and stores only its hash, owner-readable', async () => {
    const { token, record } = await createToken(file, { name: 'grafana', apps: ['app-a', 'app-a'] });
    expect(token).toMatch(/^ep_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'grafana', apps: ['app-a'], hash: hashToken(token) });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(3));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await createToken(file, { name: 'scripts' });
    expect(second.token).not.toBe(token);
    expect(second.record.apps).toBeNull();
    expect((await listTokens(file)).map((r) => r.name)).toEqual(['grafana', 'scripts']);
  });

  it('refuses duplicate names, bad names and bad app IDs', async () => {
    await createToken(file, { name: 'a' });
    await expect(createToken(file, { name: 'a' })).rejects.toThrow("a token named 'a' exists already");
    await expect(createToken(file, { name: 'has space' })).rejects.toThrow(TokenStoreError);
    await expect(createToken(file, { name: 'b', apps: ['bad app'] })).rejects.toThrow('app ID must match');
  });

  it('revokes by name and says when there was none', async () => {
    await createToken(file, { name: 'a' });
    await createToken(file, { name: 'b' });
    expect(await revokeToken(file, 'a')).toBe(true);
    expect(await revokeToken(file, 'a')).toBe(false);
    expect((await listTokens(file)).map((r) => r.name)).toEqual(['b']);
  });

  it('reads a missing file as no tokens and names a malformed one', async () => {
    expect(await readTokenFile(file)).toEqual([]);
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    await expect(readTokenFile(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'shape.json'), JSON.stringify({ version: 1, tokens: [{ name: 'x', hash: 'plain-secret', apps: null, createdAt: '' }] }));
    await expect(readTokenFile(join(dir, 'shape.json'))).rejects.toThrow(/shape\.json is not an errpulse token file: \/tokens\/0\/hash/);
    const record = { hash: `sha256:${'0'.repeat(64)}`, apps: null, createdAt: '' };
    writeFileSync(join(dir, 'twice.json'), JSON.stringify({ version: 1, tokens: [{ name: 'x', ...record }, { name: 'x', ...record }] }));
    await expect(readTokenFile(join(dir, 'twice.json'))).rejects.toThrow("two tokens named 'x'");
  });
});

describe('matching and authenticate', () => {
  it('finds the record of a presented token, and only that one', async () => {
    const a = await createToken(file, { name: 'a', apps: ['app-a'] });
    const b = await createToken(file, { name: 'b' });
    const records = await listTokens(file);
    expect(matchToken(records, a.token)).toEqual({ name: 'a', apps: ['app-a'] });
    expect(matchToken(records, b.token)).toEqual({ name: 'b', apps: null });
    expect(matchToken(records, `${a.token}x`)).toBeUndefined();
    expect(matchToken(records, '')).toBeUndefined();
  });

  it('tells a missing token from an unknown one', async () => {
    const { token } = await createToken(file, { name: 'a' });
    const records = await listTokens(file);
    expect(authenticate(`Bearer ${token}`, records)).toEqual({ ok: true, principal: { name: 'a', apps: null } });
    expect(authenticate(`bearer   ${token} `, records).ok).toBe(true);
    for (const header of [undefined, '', '   ']) {
      const result = authenticate(header, records);
      expect(result.ok || result.error).toMatchObject({ statusCode: 401, code: 'AUTH_ERR_EMPTY_AUTH_TOKEN' });
    }
    for (const header of [`Basic ${token}`, 'Bearer', `Bearer ${token} extra`]) {
      const result = authenticate(header, records);
      expect(result.ok || result.error).toMatchObject({ statusCode: 401, code: 'AUTH_ERR_EMPTY_AUTH_TOKEN', message: 'the Authorization header must be "Bearer <token>"' });
    }
    const unknown = authenticate('Bearer ep_guess', records);
    expect(unknown.ok || unknown.error).toMatchObject({ statusCode: 401, code: 'AUTH_ERR_AUTH_TOKEN_NOT_FOUND' });
  });
});
