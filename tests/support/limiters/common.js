'use strict';
// What the limiter apps beside this file share (express/, fastify/): their command line, the call they serve, and
// the log of /v1 requests that a benchmark or test reads at /__admin/log to count at the limiter what it refused.
// No package is required here: each app brings its own from its lockfile.

// The call every app serves for GET /v1/calls/:id, its "id" replaced (the NestJS app's too).
const CALL = require('./call.json');

// `--name value` pairs into a copy of `defaults`; a name not in `defaults` is an error, and a value whose default
// is a number must be one.
function parseOptions(argv, defaults) {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !(name in defaults)) throw new Error(`unknown option ${argv[i]}`);
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    const value = argv[i + 1];
    if (typeof defaults[name] === 'number') {
      const number = Number(value);
      if (!Number.isFinite(number) || value.trim() === '') throw new Error(`${argv[i]} needs a number, not ${value}`);
      options[name] = number;
    } else {
      options[name] = value;
    }
  }
  return options;
}

// The API key a request is counted under: its Authorization header, as an API limits its keys.
function apiKey(headers) {
  return headers.authorization || 'no-key';
}

// The line the Python launcher waits for, then exit cleanly on SIGTERM/SIGINT.
function announce(server, close) {
  const { port } = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  const stop = async () => {
    await close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { CALL, announce, apiKey, parseOptions };
