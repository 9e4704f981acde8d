'use strict';
// A NestJS app guarded by the real @nestjs/throttler, serving GET /v1/calls/:id as the Skipcall API does.
//
// The SDK's benchmarks and tests start it (through __init__.py beside it) to judge the client's pacing against the
// rate limiter the API most likely runs, not against a re-implementation of it. Configuration, all optional:
//
//   --port N           port on 127.0.0.1 (0, the default: a free one; the chosen port is printed)
//   --throttlers JSON  ThrottlerModule.forRoot's list, e.g. '[{"ttl":10000,"limit":100}]' (milliseconds)
//   --tracker key|ip   what a tracker is: the bearer key (default, as an API tracks its keys) or the client IP
//   --fake-clock       Date.now() reads a clock set by POST /__admin/clock?now=MS (for trace replays)
//   --call FILE        the JSON call served for every id (its "id" is replaced); default: ../call.json
//
// Outside the throttled routes, /__admin/log returns [[ms, status], ...]: when each /v1 request arrived (on the
// app's clock) and its status, so a benchmark judges utilization on the server's side.
require('reflect-metadata');
const fs = require('node:fs');
const { Controller, Get, Module, Param, Req } = require('@nestjs/common');
const { APP_GUARD, NestFactory } = require('@nestjs/core');
const { ThrottlerGuard, ThrottlerModule } = require('@nestjs/throttler');

function parseArgs(argv) {
  const options = { port: 0, throttlers: [{ ttl: 10000, limit: 100 }], tracker: 'key', fakeClock: false, call: null };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = () => {
      i += 1;
      if (i >= argv.length) throw new Error(`${name} needs a value`);
      return argv[i];
    };
    if (name === '--port') options.port = Number(value());
    else if (name === '--throttlers') options.throttlers = JSON.parse(value());
    else if (name === '--tracker') options.tracker = value();
    else if (name === '--fake-clock') options.fakeClock = true;
    else if (name === '--call') options.call = JSON.parse(fs.readFileSync(value(), 'utf8'));
    else throw new Error(`unknown option ${name}`);
  }
  if (!['key', 'ip'].includes(options.tracker)) throw new Error(`--tracker must be key or ip, not ${options.tracker}`);
  return options;
}

const options = parseArgs(process.argv.slice(2));

// The fake clock: the throttler reads Date.now() for every hit, its expiries and its headers.
let fakeNow = null;
if (options.fakeClock) {
  const realNow = Date.now;
  fakeNow = realNow();
  Date.now = () => fakeNow;
}

// The call every limiter app serves (../call.json), unless --call names another.
const CALL = options.call || require('../call.json');

class CallController {
  findOne(id) {
    return { ...CALL, id };
  }
}
Controller('v1/calls')(CallController);
Param('id')(CallController.prototype, 'findOne', 0);
Get(':id')(CallController.prototype, 'findOne', Object.getOwnPropertyDescriptor(CallController.prototype, 'findOne'));

function bearerKey(req) {
  const header = req.headers.authorization || '';
  return header.startsWith('Bearer ') ? header.slice(7) : req.ip;
}

class AppModule {}
Module({
  imports: [
    ThrottlerModule.forRoot(
      options.tracker === 'key' ? { throttlers: options.throttlers, getTracker: bearerKey } : options.throttlers,
    ),
  ],
  controllers: [CallController],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  const log = [];
  const express = app.getHttpAdapter().getInstance();
  express.use('/__admin/log', (req, res) => res.json(log));
  express.use('/__admin/clock', (req, res) => {
    if (fakeNow === null) return res.status(409).json({ message: 'started without --fake-clock' });
    fakeNow = Number(new URL(req.url, 'http://x').searchParams.get('now'));
    return res.json({ now: fakeNow });
  });
  express.use('/v1', (req, res, next) => {
    const arrived = Date.now();
    res.on('finish', () => log.push([arrived, res.statusCode]));
    next();
  });
  await app.listen(options.port, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
