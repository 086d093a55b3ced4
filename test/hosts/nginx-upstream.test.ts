// The nginx upstream drain against a real nginx (own prefix in a temp dir, a free loopback port) in front of two
// backend processes, through the local executor: validation, drain and undrain, zero failed requests across a drain,
// a refused configuration put back, and no reload for an unchanged upstream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalExecutor } from '../../integrations/hosts/local.ts';
import {
  NginxConfigError,
  NginxDrainTimeoutError,
  NginxUpstreamInvalidError,
  applyUpstream,
  drainHost,
  renderUpstream,
  undrainHost,
  type LoadBalancer,
  type UpstreamMember,
} from '../../integrations/hosts/nginx-upstream.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const nginxBinary = '/usr/sbin/nginx';

/**
 * Debian's nginx is installed on demand, as root, under a lock so concurrent test files do not race apt. Its postinst
 * would start the packaged service on port 80 and leave it running: a policy-rc.d that answers 101 ("action
 * forbidden") stops that for the install only.
 */
async function ensureNginx(): Promise<void> {
  if (existsSync(nginxBinary)) return;
  if (process.getuid?.() !== 0) throw new Error(`these tests need ${nginxBinary}: install nginx-light, or run the tests as root, which installs it`);
  await run('flock', [join(tmpdir(), 'opsflow-nginx-install.lock'), 'sh', '-c',
    `test -x ${nginxBinary} || { printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && ` +
    `apt-get update && apt-get install -y --no-install-recommends nginx-light; status=$?; rm -f /usr/sbin/policy-rc.d; exit $status; }`], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Each backend is a process of its own, so it can be SIGKILLed like a real host; it counts the requests it received
// and answers GET /count with that count, and takes 120 ms per request, so a drain always finds some in flight (3 s
// for /slow: a request an old worker is sure to still hold when a short wait runs out).
const backendScript = `
const http = require('node:http');
let count = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/count') return res.end(String(count));
  count++;
  req.resume();
  req.on('end', () => setTimeout(() => { res.setHeader('x-backend', process.argv[1]); res.end('ok'); }, req.url === '/slow' ? 3000 : 120));
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

interface Backend {
  name: string;
  port: number;
  process: ChildProcess;
}

async function startBackend(name: string, port = 0): Promise<Backend> {
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', backendScript, name, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const listening = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`backend ${name} exited with ${code} before listening`)));
  });
  return { name, port: listening, process: child };
}

async function stopBackend(backend: Backend): Promise<void> {
  if (backend.process.exitCode !== null || backend.process.signalCode !== null) return;
  const exited = new Promise((resolve) => backend.process.once('exit', resolve));
  backend.process.kill('SIGKILL');
  await exited;
}

function send(port: number, method: 'GET' | 'POST', path = '/'): Promise<{ status: number; backend: string | undefined }> {
  return new Promise((resolve, reject) => {
    // Connection: close, no agent: a kept-alive socket is closed by an old worker at reload, which is not a drain failure.
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, backend: res.headers['x-backend'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'payload' : undefined);
  });
}

async function requestsReceivedBy(backend: Backend): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: backend.port, path: '/count', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(Number(body)));
    }).on('error', reject).end();
  });
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('renderUpstream', () => {
  const a = { address: '127.0.0.1', port: 8001, down: false };

  test('renders one server line per member, down ones marked', () => {
    assert.equal(
      renderUpstream('app_1', [a, { address: 'web-2.example.internal', port: 80, down: true }, { address: '::1', port: 8003, down: false }]),
      'upstream app_1 {\n    server 127.0.0.1:8001;\n    server web-2.example.internal:80 down;\n    server [::1]:8003;\n}\n',
    );
  });

  const refused: { why: string; name?: string; members: UpstreamMember[]; field: string; message?: RegExp }[] = [
    { why: 'a name with a space', name: 'my app', members: [a], field: 'name' },
    { why: 'a name that would close the block', name: 'app}', members: [a], field: 'name' },
    { why: 'an address with a semicolon', members: [a, { address: '10.0.0.1;evil', port: 80, down: false }], field: 'members.1.address' },
    { why: 'an empty address', members: [{ address: '', port: 80, down: false }], field: 'members.0.address' },
    { why: 'port 0', members: [{ ...a, port: 0 }], field: 'members.0.port' },
    { why: 'port 65536', members: [{ ...a, port: 65536 }], field: 'members.0.port' },
    { why: 'a fractional port', members: [{ ...a, port: 80.5 }], field: 'members.0.port' },
    { why: 'no members', members: [], field: 'members', message: /take the service down/ },
    { why: 'every member down', members: [{ ...a, down: true }], field: 'members', message: /last live member would take the service down/ },
  ];
  for (const { why, name, members, field, message } of refused) {
    test(`refuses ${why}, naming ${field}`, () => {
      assert.throws(() => renderUpstream(name ?? 'app', members), (error: unknown) => {
        assert.ok(error instanceof NginxUpstreamInvalidError);
        assert.equal(error.name, 'NginxUpstreamInvalidError');
        assert.equal(error.field, field);
        if (message) assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe('nginx upstream drain against a real nginx', () => {
  let dir: string;
  let nginx: ChildProcess;
  let listenPort: number;
  let lb: LoadBalancer;
  let executor: LocalExecutor;
  let a: Backend;
  let b: Backend;
  const options = { timeoutMs: 30_000 };
  const members = (downB = false): UpstreamMember[] => [
    { address: '127.0.0.1', port: a.port, down: false },
    { address: '127.0.0.1', port: b.port, down: downB },
  ];

  async function workers(): Promise<number[]> {
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(nginx.pid)]).catch(() => ({ stdout: '' }));
    return stdout.split('\n').filter((line) => line.trim() !== '').map(Number).sort();
  }

  before(async () => {
    await ensureNginx();
    dir = await mkdtemp(join(tmpdir(), 'opsflow-nginx-'));
    await mkdir(join(dir, 'temp'));
    [a, b] = await Promise.all([startBackend('A'), startBackend('B')]);
    listenPort = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, [
      `pid ${dir}/nginx.pid;`,
      'worker_processes 2;',
      'events { worker_connections 256; }',
      'http {',
      // Debian compiles its temp paths into /var/lib/nginx: every test nginx gets its own.
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/temp/${kind};`),
      '  access_log off;',
      `  include ${dir}/upstream.conf;`,
      `  server { listen 127.0.0.1:${listenPort}; location / { proxy_pass http://app; } }`,
      '}',
      '',
    ].join('\n'));
    const base = [nginxBinary, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')];
    lb = { upstreamName: 'app', upstreamFile: join(dir, 'upstream.conf'), testArgv: [...base, '-t'], reloadArgv: [...base, '-s', 'reload'], pidFile: join(dir, 'nginx.pid') };
    executor = new LocalExecutor({ root: dir });
    await writeFile(lb.upstreamFile, renderUpstream('app', members()));
    nginx = spawn(nginxBinary, [...base.slice(1), '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
    await waitFor('nginx to answer', () => send(listenPort, 'GET').then((answer) => answer.status === 200, () => false), 30_000);
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await Promise.all([a, b].filter(Boolean).map(stopBackend));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('an unchanged upstream does not reload: the workers stay the same', async () => {
    await applyUpstream(executor, lb, members(), options);
    const before = await workers();
    assert.equal(before.length, 2);
    assert.deepEqual(await applyUpstream(executor, lb, members(), options), { changed: false, oldWorkers: [], waitedMs: 0 });
    assert.deepEqual(await workers(), before);
  });

  test('drain: once drainHost returns the old workers are gone and no request reaches B; undrain brings B back', async () => {
    await applyUpstream(executor, lb, members(), options);
    const result = await drainHost(executor, lb, members(), { address: '127.0.0.1', port: b.port }, options);
    assert.equal(result.changed, true);
    assert.equal(result.oldWorkers.length, 2);
    for (const pid of result.oldWorkers) assert.ok(isGone(pid), `old worker ${pid} is still there`);

    const received = await requestsReceivedBy(b);
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await send(listenPort, 'POST'));
    assert.deepEqual(new Set(answers.map((answer) => `${answer.status} ${answer.backend}`)), new Set(['200 A']));
    assert.equal(await requestsReceivedBy(b), received);

    await undrainHost(executor, lb, members(true), { address: '127.0.0.1', port: b.port }, options);
    for (let i = 0; i < 10; i++) await send(listenPort, 'POST');
    assert.ok((await requestsReceivedBy(b)) > received, 'B received nothing after undrain');
  });

  test('a configuration nginx refuses puts the previous file back, keeps nginx serving, and throws NginxConfigError', async () => {
    await applyUpstream(executor, lb, members(), options);
    const previous = await readFile(lb.upstreamFile, 'utf8');
    const before = await workers();
    const broken = [...members(), { address: 'no-such-host.invalid', port: 80, down: false }];
    await assert.rejects(applyUpstream(executor, lb, broken, options), (error: unknown) => {
      assert.ok(error instanceof NginxConfigError);
      assert.equal(error.name, 'NginxConfigError');
      assert.equal(error.restored, true);
      assert.ok(error.lines.some((line) => line.includes('no-such-host.invalid')), error.lines.join('\n'));
      return true;
    });
    assert.equal(await readFile(lb.upstreamFile, 'utf8'), previous);
    assert.deepEqual(await workers(), before);
    assert.equal((await send(listenPort, 'POST')).status, 200);
  });

  test('an aborted call changes nothing: the file stays and nginx is not reloaded', async () => {
    await applyUpstream(executor, lb, members(), options);
    const previous = await readFile(lb.upstreamFile, 'utf8');
    const before = await workers();
    await assert.rejects(drainHost(executor, lb, members(), { address: '127.0.0.1', port: b.port }, { ...options, signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(await readFile(lb.upstreamFile, 'utf8'), previous);
    assert.deepEqual(await workers(), before);
  });

  test('a drain whose wait ran out is retried safely: the retry reloads nothing but waits for the old workers', async () => {
    await applyUpstream(executor, lb, members(), options);
    const receivedBefore = (await requestsReceivedBy(a)) + (await requestsReceivedBy(b));
    const held = send(listenPort, 'POST', '/slow');
    await waitFor('the slow request to reach a backend', async () => (await requestsReceivedBy(a)) + (await requestsReceivedBy(b)) > receivedBefore, 10_000, 20);

    const drained = members(true);
    await assert.rejects(drainHost(executor, lb, members(), { address: '127.0.0.1', port: b.port }, { timeoutMs: 300 }), (error: unknown) => {
      assert.ok(error instanceof NginxDrainTimeoutError);
      assert.equal(error.remainingWorkers.length, 1);
      return true;
    });
    const retry = await applyUpstream(executor, lb, drained, options);
    assert.equal(retry.changed, false);
    assert.equal(retry.oldWorkers.length, 1);
    assert.ok(isGone(retry.oldWorkers[0]!), `old worker ${retry.oldWorkers[0]} is still there`);
    assert.equal((await held).status, 200);
  });

  test('zero failures across a drain: requests in flight while B is drained and then killed are all answered 2xx', async () => {
    await applyUpstream(executor, lb, members(), options);
    const total = 400;
    const concurrency = 8;
    const statuses: number[] = [];
    const failures: string[] = [];
    let next = 0;
    const client = async () => {
      while (next < total) {
        next++;
        try {
          statuses.push((await send(listenPort, 'POST')).status);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const receivedBefore = await requestsReceivedBy(b);
    const load = Promise.all(Array.from({ length: concurrency }, client));
    // Drain in the middle of the load, once B is known to be serving some of it.
    await waitFor('B to serve part of the load', async () => statuses.length >= 40 && (await requestsReceivedBy(b)) > receivedBefore, 30_000, 20);
    await drainHost(executor, lb, members(), { address: '127.0.0.1', port: b.port }, options);
    await stopBackend(b);
    await load;

    assert.deepEqual(failures, []);
    assert.equal(statuses.length, total);
    assert.deepEqual(statuses.filter((status) => status < 200 || status > 299), []);
  });
});
