import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../config/env.ts';

test('with nothing set opsflow runs its own stack and listens on loopback only; the port variables move each server', () => {
  const config = loadConfig({});
  assert.equal(config.database.url, undefined, 'no DATABASE_URL: the embedded PostgreSQL');
  assert.equal(config.temporal.address, undefined, 'no TEMPORAL_ADDRESS: the Temporal dev server');
  assert.equal(config.api.host, '127.0.0.1', 'the API is not reachable from other machines unless asked');
  const moved = loadConfig({ OPSFLOW_PG_PORT: '6543', OPSFLOW_TEMPORAL_PORT: '17233', OPSFLOW_TEMPORAL_UI_PORT: '18233', OPSFLOW_API_PORT: '4000' });
  assert.deepEqual([moved.database.embeddedPort, moved.temporal.devPort, moved.temporal.uiPort, moved.api.port], [6543, 17233, 18233, 4000]);
});

test('one error lists every bad variable at once', () => {
  assert.throws(
    () => loadConfig({ OPSFLOW_API_PORT: 'eighty', DATABASE_URL: 'mysql://x/y', OPSFLOW_DEMO: 'maybe', TEMPORAL_ADDRESS: 'no-port' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const named = error.problems.map((problem) => problem.split(':')[0]);
      assert.deepEqual(named.sort(), ['DATABASE_URL', 'OPSFLOW_API_PORT', 'OPSFLOW_DEMO', 'TEMPORAL_ADDRESS']);
      assert.match(error.message, /OPSFLOW_API_PORT/);
      assert.match(error.message, /DATABASE_URL: must be a postgres/);
      assert.match(error.message, /OPSFLOW_API_PORT: must be a port number from 1 to 65535/);
      return true;
    },
  );
});

test('a client certificate without its key is refused', () => {
  assert.throws(() => loadConfig({ TEMPORAL_TLS_CERT: '/etc/cert.pem' }), /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
});

test('an API key implies TLS; OPSFLOW_DEMO=false turns the demo off', () => {
  const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k', OPSFLOW_DEMO: 'false' });
  assert.equal(config.temporal.tls, true);
  assert.equal(config.temporal.address, 'ns.acct.tmprl.cloud:7233');
  assert.equal(config.demo, false);
});

test('a too-short JWT secret and a bad queue prefix are named', () => {
  assert.throws(
    () => loadConfig({ OPSFLOW_JWT_SECRET: 'short', OPSFLOW_TASK_QUEUE_PREFIX: 'a b' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 2,
  );
});
