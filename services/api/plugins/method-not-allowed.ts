// 405 Method Not Allowed, with an Allow header, for a path the API serves asked with a method it does
// not (TRACE /v1/rates, DELETE /healthz): HTTP says so (RFC 9110 §15.5.6), and a 404 there would tell
// a client the path is wrong when only the method is. Fastify answers 404 for both, so the routes are
// recorded as they are added and the not-found path is checked against them.
import type { FastifyInstance } from 'fastify';
import { envelope } from '../errors.js';

interface KnownPath {
  /** The route's URL with each :param turned into one path segment. */
  matcher: RegExp;
  methods: Set<string>;
}

function toMatcher(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/** Must be registered before the routes, so that every route is seen. */
export function registerMethodNotAllowed(app: FastifyInstance): void {
  const known = new Map<string, KnownPath>();
  app.addHook('onRoute', (route) => {
    const entry = known.get(route.url) ?? { matcher: toMatcher(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method);
    known.set(route.url, entry);
  });
  // onRequest runs before the body is read, so a body method (QUERY, POST) without a Content-Type is
  // answered 405 too rather than 400 for the missing header.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?', 1)[0] ?? request.url;
    const allowed = new Set<string>();
    for (const entry of known.values()) if (entry.matcher.test(path)) for (const method of entry.methods) allowed.add(method);
    if (allowed.size === 0 || allowed.has(request.method)) return;
    const allow = [...allowed].sort().join(', ');
    return reply
      .code(405)
      .header('allow', allow)
      .send(envelope('ERR_BAD_REQUEST', `${request.method} is not allowed on ${path.slice(0, 200)}; this path answers ${allow}`));
  });
}
