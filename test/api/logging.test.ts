import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createLogger, REDACT_PATHS, redactUrl } from '../../security/logging.ts';
import { issuer, makeApp } from './helpers.ts';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('log redaction', () => {
  it('keeps bearer tokens and secret fields out of request logs', async () => {
    const out = capture();
    const app = await makeApp({ logger: createLogger('trace', {}, out.stream) });
    const token = await issuer.issue({ subject: 'carol', role: 'viewer' });
    const res = await app.inject({
      method: 'POST',
      url: '/test/login?access_token=query-token-value',
      headers: { authorization: `Bearer ${token}`, cookie: 'session=cookie-secret-value' },
      payload: { user: 'carol', password: 'hunter2-password', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'aws-secret-value' } },
    });
    assert.equal(res.statusCode, 200);
    await app.close();
    const logs = out.text();
    assert.match(logs, /login attempt/, 'the body was logged');
    assert.match(logs, /"user":"carol"/);
    assert.match(logs, /\[Redacted\]/);
    for (const secret of [token, token.split('.')[2]!, 'hunter2-password', 'AKIAEXAMPLE', 'aws-secret-value', 'cookie-secret-value', 'query-token-value']) {
      assert.ok(!logs.includes(secret), `log output must not contain ${secret.slice(0, 20)}`);
    }
  });

  it('logs unexpected errors server-side', async () => {
    const out = capture();
    const app = await makeApp({ logger: createLogger('info', {}, out.stream) });
    await app.inject({ method: 'GET', url: '/test/boom' });
    await app.close();
    assert.match(out.text(), /"level":50.*request failed/);
  });

  it('a malformed HTTP request is logged without its raw bytes and without crashing the process', async () => {
    // Found by the fuzzer: Node reports a bad request with its raw packet (a Buffer); redacting that object threw
    // in a socket callback, an uncaught exception.
    const out = capture();
    const app = await makeApp({ logger: createLogger('trace', {}, out.stream) });
    const uncaught: Error[] = [];
    let crashed: (text: string) => void = () => {};
    const crash = new Promise<string>((resolve) => (crashed = resolve));
    const record = (error: Error) => {
      uncaught.push(error);
      crashed('');
    };
    process.on('uncaughtException', record);
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const answered = new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(address).port), '127.0.0.1', () => socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer raw-packet-token\r\nContent-Length: nope\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      // Without the fix the server never answers: the crash is what ends the wait.
      const answer = await Promise.race([answered, crash]);
      assert.deepEqual(uncaught.map(String), []);
      assert.match(answer, /^HTTP\/1.1 400/);
      await app.close();
      assert.match(out.text(), /\[\d+ bytes\]/, 'the raw packet is logged as its size');
      assert.ok(!out.text().includes('raw-packet-token'));
    } finally {
      process.removeListener('uncaughtException', record);
    }
  });

  it('redacts nested secret fields in any logged object', () => {
    const out = capture();
    const log = createLogger('info', {}, out.stream);
    log.info({ config: { security: { jwtSecret: 'jwt-secret-value' }, temporal: { apiKey: 'api-key-value' } }, account: { appSecret: 'app-secret', privateKey: 'pk' } }, 'x');
    const text = out.text();
    for (const secret of ['jwt-secret-value', 'api-key-value', 'app-secret', '"pk"']) assert.ok(!text.includes(secret), secret);
  });

  it('another pino logger given the exported redact paths keeps the same secrets out', () => {
    const out = capture();
    const log = pino({ redact: { paths: [...REDACT_PATHS] } }, out.stream);
    log.info({ req: { headers: { authorization: 'Bearer header-token' } }, account: { credentials: { token: 'credential-token' } }, aws: { secretAccessKey: 'aws-secret' } }, 'x');
    for (const secret of ['header-token', 'credential-token', 'aws-secret']) assert.ok(!out.text().includes(secret), secret);
    assert.match(out.text(), /"msg":"x"/);
  });

  it('redacts secret-looking query parameters', () => {
    assert.equal(redactUrl('/x?a=1&access_token=abc&apiKey=k'), '/x?a=1&access_token=[Redacted]&apiKey=[Redacted]');
    assert.equal(redactUrl('/plain'), '/plain');
  });
});
