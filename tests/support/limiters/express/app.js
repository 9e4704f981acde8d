'use strict';
// An express 5 app guarded by the real express-rate-limit, serving GET /v1/calls/:id as the Skipcall API does.
//
// Started by __init__.py beside it, so the SDK is judged against the headers that library really sends. Options:
//
//   --port N        port on 127.0.0.1 (0, the default: a free one; the chosen port is printed)
//   --limit N       requests per window per API key (the Authorization header), default 100
//   --window S      the window in seconds, default 10: a fixed window opened by the key's first request
//   --mode M        which headers it sends (draft-8 by default, the library's README example):
//                     legacy   X-RateLimit-Limit/-Remaining/-Reset, Reset a Unix time in whole seconds (rounded up)
//                     draft-6  RateLimit-Limit/-Remaining/-Reset (seconds) and RateLimit-Policy: 100;w=10
//                     draft-7  RateLimit: limit=100, remaining=.., reset=.. and RateLimit-Policy
//                     draft-8  RateLimit: "100-in-10sec"; r=..; t=.. and RateLimit-Policy: "100-in-10sec"; q=100; w=10
//                     off      no limiter at all (an app behind a proxy that limits, such as nginx)
//
// /__admin/log returns [[ms, status], ...]: when each /v1 request arrived (epoch ms) and its status.
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const { CALL, announce, apiKey, parseOptions } = require('../common.js');

const MODES = {
  legacy: { standardHeaders: false, legacyHeaders: true },
  'draft-6': { standardHeaders: 'draft-6', legacyHeaders: false },
  'draft-7': { standardHeaders: 'draft-7', legacyHeaders: false },
  'draft-8': { standardHeaders: 'draft-8', legacyHeaders: false },
  off: null,
};

const options = parseOptions(process.argv.slice(2), { port: 0, limit: 100, window: 10, mode: 'draft-8' });
if (!(options.mode in MODES)) throw new Error(`--mode must be one of ${Object.keys(MODES).join(', ')}`);

const app = express();
const log = [];
app.get('/__admin/log', (req, res) => res.json(log));
app.use('/v1', (req, res, next) => {
  const arrived = Date.now();
  res.on('finish', () => log.push([arrived, res.statusCode]));
  next();
});
if (MODES[options.mode] !== null) {
  app.use('/v1', rateLimit({
    windowMs: options.window * 1000,
    limit: options.limit,
    keyGenerator: (req) => apiKey(req.headers),
    ...MODES[options.mode],
  }));
}
app.get('/v1/calls/:id', (req, res) => res.json({ ...CALL, id: req.params.id }));

const server = app.listen(options.port, '127.0.0.1', (error) => {
  if (error) throw error;
  announce(server, () => new Promise((resolve) => server.close(resolve)));
});
