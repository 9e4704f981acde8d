'use strict';
// A fastify 5 app guarded by the real @fastify/rate-limit, serving GET /v1/calls/:id as the Skipcall API does.
//
// Started by __init__.py beside it. Options:
//
//   --port N        port on 127.0.0.1 (0, the default: a free one; the chosen port is printed)
//   --limit N       requests per window per API key (the Authorization header), default 100
//   --window S      the window in seconds, default 10: a fixed window opened by the key's first request
//
// It sends x-ratelimit-limit/-remaining/-reset (seconds until the window ends) and retry-after on a 429, the
// plugin's defaults. /__admin/log returns [[ms, status], ...]: when each /v1 request arrived (epoch ms) and its
// status.
const Fastify = require('fastify');
const rateLimit = require('@fastify/rate-limit');
const { CALL, announce, apiKey, parseOptions } = require('../common.js');

const options = parseOptions(process.argv.slice(2), { port: 0, limit: 100, window: 10 });

async function main() {
  const app = Fastify({ logger: false });
  const log = [];
  const arrivals = new WeakMap();
  app.addHook('onRequest', async (request) => {
    arrivals.set(request, Date.now());
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/v1/')) log.push([arrivals.get(request), reply.statusCode]);
  });
  // The plugin hooks into the routes declared after it: registered (and awaited) first.
  await app.register(rateLimit, {
    global: true,
    max: options.limit,
    timeWindow: options.window * 1000,
    keyGenerator: (request) => apiKey(request.headers),
  });
  app.get('/__admin/log', { config: { rateLimit: false } }, async () => log);
  app.get('/v1/calls/:id', async (request) => ({ ...CALL, id: request.params.id }));
  await app.listen({ port: options.port, host: '127.0.0.1' });
  announce(app.server, () => app.close());
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
