import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMethodNotAllowed } from '../../../services/api/plugins/method-not-allowed.js';

const app = Fastify();

beforeAll(async () => {
  registerMethodNotAllowed(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(
    async (v1) => {
      v1.get('/catalog/:code', async () => ({}));
      v1.post('/things', async () => ({}));
    },
    { prefix: '/v1' },
  );
  await app.ready();
});
afterAll(() => app.close());

describe('405 for a known path with an undeclared method', () => {
  it.each([
    ['TRACE', '/healthz', 'GET, HEAD'],
    ['DELETE', '/v1/catalog/ERR_UID_NOT_FOUND?x=1', 'GET, HEAD'],
    ['OPTIONS', '/v1/catalog/ERR_UID_NOT_FOUND', 'GET, HEAD'],
    ['GET', '/v1/things', 'POST'],
  ] as const)('%s %s answers 405 with Allow: %s', async (method, url, allow) => {
    const response = await app.inject({ method, url });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.json()).toEqual({ error: { code: 'ERR_BAD_REQUEST', message: expect.stringContaining(`this path answers ${allow}`) } });
  });

  it('answers a body method without a Content-Type 405 too, not 400', async () => {
    const response = await app.inject({ method: 'QUERY' as 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(405);
  });

  it('leaves unknown paths and allowed methods alone', async () => {
    expect((await app.inject({ method: 'TRACE', url: '/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/catalog/a/b' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });
});
