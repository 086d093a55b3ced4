// The ssh executor against a real fleet of five sshd hosts on loopback (test/support/sshd-fleet.ts): the shared
// contract, then what only SSH has: pinned host keys, key authentication, one reused connection, separate hosts,
// typed connection failures, and the outbound policy checked before any socket is opened.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { HOST_FAILURES, nonRetryableHostFailures } from '../../contracts/failure-types.ts';
import { checkHost } from '../../integrations/hosts/check.ts';
import { HostAuthError, HostFileNotFoundError, HostKeyMismatchError, HostRequestError, HostUnreachableError } from '../../integrations/hosts/errors.ts';
import { SshExecutor, type SshHostConfig } from '../../integrations/hosts/ssh.ts';
import { OutboundPolicy, OutboundRefusedError } from '../../integrations/outbound/policy.ts';
import { freePort } from '../../scripts/free-port.ts';
import { startSshdFleet, type FleetHost, type SshdFleet } from '../support/sshd-fleet.ts';
import { runHostExecutorContract } from './contract.ts';

const policy = new OutboundPolicy({ allow: ['127.0.0.0/8'], deny: [] });
let fleet: SshdFleet;
const opened: SshExecutor[] = [];

function executorFor(host: FleetHost, overrides: Partial<SshHostConfig> = {}, withPolicy = policy): SshExecutor {
  const executor = new SshExecutor(
    { address: host.address, port: host.port, username: host.username, hostKey: host.hostKey, privateKey: fleet.clientPrivateKey, ...overrides },
    { policy: withPolicy },
  );
  opened.push(executor);
  return executor;
}

/** Lines of the private key's body: none may appear in any message. */
const keyMaterial = () => fleet.clientPrivateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

before(async () => {
  fleet = await startSshdFleet(5);
});

after(async () => {
  await Promise.all(opened.map((executor) => executor.close()));
  await fleet?.stop();
});

runHostExecutorContract('ssh', () => executorFor(fleet.hosts[0]!));

describe('ssh executor on the fleet', () => {
  test('every host is reachable and presents the key pinned for it (fingerprints as ssh-keygen prints them)', async () => {
    assert.equal(fleet.hosts.length, 5);
    for (const host of fleet.hosts) {
      const check = await checkHost(executorFor(host), { timeoutMs: 30_000 });
      assert.equal(check.ok, true, JSON.stringify(check));
      assert.equal(check.hostKeyFingerprint, host.hostKeyFingerprint);
      assert.ok(check.latencyMs >= 0);
    }
  });

  test('each host is its own: a file put on one is not on another, and each user has its own home', async () => {
    const [second, third] = fleet.hosts.map((host) => executorFor(host));
    const path = `opsflow-separate-${randomUUID()}.txt`;
    const content = Buffer.from('only on the first host of the fleet\n');
    try {
      await second!.putFile(path, content, { sha256: createHash('sha256').update(content).digest('hex') });
      assert.deepEqual(await second!.readFile(path, { maxBytes: 100 }), content);
      await assert.rejects(third!.readFile(path, { maxBytes: 100 }), HostFileNotFoundError);
    } finally {
      await second!.run(['rm', '-f', path], { timeoutMs: 30_000 });
    }
    const homes = await Promise.all(fleet.hosts.map(async (host) => {
      const lines: string[] = [];
      await executorFor(host).run(['sh', '-c', 'printf "%s\\n" "$HOME"'], { timeoutMs: 30_000, onLine: (_stream, line) => lines.push(line) });
      return lines[0];
    }));
    assert.equal(new Set(homes).size, 5, homes.join(', '));
  });

  test('commands share one connection until close(); the next command connects again', async () => {
    const executor = executorFor(fleet.hosts[1]!);
    // SSH_CLIENT names the client's source port: the same port is the same TCP connection.
    const clientPort = async () => {
      const lines: string[] = [];
      await executor.run(['sh', '-c', 'printf "%s\\n" "$SSH_CLIENT"'], { timeoutMs: 30_000, onLine: (_stream, line) => lines.push(line) });
      return lines[0]!.split(' ')[1];
    };
    const first = await clientPort();
    assert.equal(await clientPort(), first);
    await executor.close();
    assert.notEqual(await clientPort(), first);
  });

  test('a host presenting another key than the pinned one fails with HostKeyMismatchError, naming the key it saw', async () => {
    const [host, other] = fleet.hosts;
    const executor = executorFor(host!, { hostKey: other!.hostKey });
    const error = await executor.run(['true'], { timeoutMs: 30_000 }).catch((caught: unknown) => caught);
    assert.ok(error instanceof HostKeyMismatchError, `HostKeyMismatchError, got ${String(error)}`);
    assert.equal(error.name, HOST_FAILURES.keyMismatch);
    assert.ok(nonRetryableHostFailures.includes(error.name));
    assert.equal(error.presentedFingerprint, host!.hostKeyFingerprint);
    assert.equal(error.pinnedFingerprint, other!.hostKeyFingerprint);
    assert.match(error.message, new RegExp(`${host!.address}:${host!.port}.*${error.presentedFingerprint.replace(/[+/]/g, '\\$&')}`));
    for (const line of keyMaterial()) assert.ok(!error.message.includes(line) && !String(error.stack).includes(line));
  });

  test('a client key the host does not accept fails with HostAuthError, without the key in the message', async () => {
    const error = await executorFor(fleet.hosts[2]!, { privateKey: fleet.strangerPrivateKey }).run(['true'], { timeoutMs: 30_000 }).catch((caught: unknown) => caught);
    assert.ok(error instanceof HostAuthError, `HostAuthError, got ${String(error)}`);
    assert.ok(nonRetryableHostFailures.includes(error.name));
    assert.match(error.message, new RegExp(fleet.hosts[2]!.username));
    for (const line of fleet.strangerPrivateKey.split('\n').filter((part) => part.length > 20 && !part.startsWith('-----'))) {
      assert.ok(!error.message.includes(line));
    }
  });

  test('a closed port fails with HostUnreachableError, which is retryable', async () => {
    const error = await executorFor(fleet.hosts[3]!, { port: await freePort() }).run(['true'], { timeoutMs: 30_000 }).catch((caught: unknown) => caught);
    assert.ok(error instanceof HostUnreachableError, `HostUnreachableError, got ${String(error)}`);
    assert.ok(!nonRetryableHostFailures.includes(error.name));
  });

  test('a server that never completes the SSH handshake fails with HostUnreachableError after the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    try {
      const port = (silent.address() as { port: number }).port;
      const executor = executorFor({ ...fleet.hosts[0]!, address: '127.0.0.1', port }, { connectTimeoutMs: 500 });
      await assert.rejects(executor.run(['true'], { timeoutMs: 30_000 }), (error: unknown) => error instanceof HostUnreachableError && /handshake/.test(error.message));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => silent.close(closed));
    }
  });

  test('the outbound policy refuses a metadata address before any socket is opened', async () => {
    // Node publishes every client socket it creates on this channel.
    const sockets: unknown[] = [];
    const created = channel('net.client.socket');
    const record = (socket: unknown) => sockets.push(socket);
    created.subscribe(record);
    try {
      const executor = executorFor({ ...fleet.hosts[0]!, address: '169.254.169.254', port: 22 }, {}, new OutboundPolicy({ allow: [], deny: [] }));
      await assert.rejects(executor.run(['true'], { timeoutMs: 30_000 }), OutboundRefusedError);
      const check = await checkHost(executor, { timeoutMs: 30_000 });
      assert.equal(check.ok, false);
      assert.equal(!check.ok && check.failure, 'OutboundRefusedError');
      assert.equal(sockets.length, 0, 'no socket was created');
      // The same watch does see the socket of an allowed connection.
      assert.equal((await checkHost(executorFor(fleet.hosts[0]!), { timeoutMs: 30_000 })).ok, true);
      assert.equal(sockets.length, 1);
    } finally {
      created.unsubscribe(record);
    }
  });

  test('an address the configured policy denies is refused though its sshd is up', async () => {
    const host = fleet.hosts[4]!;
    const executor = executorFor(host, {}, new OutboundPolicy({ allow: ['127.0.0.0/8'], deny: [`${host.address}/32`] }));
    await assert.rejects(executor.run(['true'], { timeoutMs: 30_000 }), (error: unknown) => error instanceof OutboundRefusedError && /OPSFLOW_OUTBOUND_DENY/.test(error.message));
  });

  test('a pinned key that is not an OpenSSH public key line is refused when the executor is made', () => {
    const host = fleet.hosts[0]!;
    for (const hostKey of ['', 'AAAAC3NzaC1lZDI1NTE5', 'ssh-ed25519 bm90IGEga2V5', `ssh-rsa ${host.hostKey.split(' ')[1]}`]) {
      assert.throws(() => executorFor(host, { hostKey }), HostRequestError, hostKey);
    }
  });
});
