// A real fleet of SSH hosts on this machine for the host-executor tests: one `sshd -D` per loopback address
// (127.0.0.2 …), each with its own host key, port and Unix user (so homes are separate), all owned by the test.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/free-port.ts';

const run = promisify(execFile);
const sshd = '/usr/sbin/sshd';

export interface FleetHost {
  /** 127.0.0.N */
  address: string;
  port: number;
  username: string;
  /** The host's public key as an OpenSSH line, what an operator pins. */
  hostKey: string;
  /** Its fingerprint as `ssh-keygen -l` prints it (SHA256:...). */
  hostKeyFingerprint: string;
}

export interface SshdFleet {
  hosts: FleetHost[];
  /** The OpenSSH private key every host accepts for its user (generated for this run). */
  clientPrivateKey: string;
  /** A key no host accepts. */
  strangerPrivateKey: string;
  stop(): Promise<void>;
}

/**
 * openssh-server is installed on demand, as root, under a lock so concurrent test files do not race apt. A non-root
 * run cannot install it and says what to do instead.
 */
async function ensureOpenSshServer(): Promise<void> {
  if (existsSync(sshd)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`the SSH test fleet needs ${sshd}: install openssh-server (apt-get install -y openssh-server), or run the tests as root, which installs it`);
  }
  await run('flock', [join(tmpdir(), 'opsflow-openssh-install.lock'), 'sh', '-c',
    `test -x ${sshd} || { apt-get update && apt-get install -y --no-install-recommends openssh-server; }`], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * The fleet's users are fixed names reused by every run; a concurrent run may be creating the same one. The password
 * is "*" (no password can match) rather than useradd's "!" (locked): sshd without PAM refuses locked accounts even
 * for key authentication.
 */
async function ensureUser(username: string): Promise<void> {
  await run('flock', [join(tmpdir(), 'opsflow-fleet-users.lock'), 'sh', '-c',
    'id -u "$1" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh --password "*" "$1"', 'sh', username]);
}

async function generateKey(file: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile]);
  return stdout.split(' ')[1]!;
}

/** Starts sshd in the foreground and resolves once it listens; rejects with its log if it exits first. */
function startSshd(config: string): Promise<ChildProcess> {
  const child = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/Server listening on/.test(log)) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`sshd exited (${code ?? signal}) before listening: ${log.trim()}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

export async function startSshdFleet(count = 5): Promise<SshdFleet> {
  await ensureOpenSshServer();
  await mkdir('/run/sshd', { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'opsflow-sshd-fleet-'));
  // sshd reads authorized_keys as the target user: the folder must be traversable and the file readable by them.
  await chmod(dir, 0o755);
  await generateKey(join(dir, 'client'), 'opsflow-test-client');
  await generateKey(join(dir, 'stranger'), 'opsflow-test-stranger');
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, await readFile(join(dir, 'client.pub')), { mode: 0o644 });

  const daemons: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(daemons.map(stopProcess));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const hosts: FleetHost[] = [];
    for (let index = 2; index < count + 2; index++) {
      const address = `127.0.0.${index}`;
      const username = `opsflow-deploy-${index}`;
      const hostDir = join(dir, `host-${index}`);
      await mkdir(hostDir);
      await ensureUser(username);
      const hostKeyFile = join(hostDir, 'ssh_host_ed25519_key');
      await generateKey(hostKeyFile, `opsflow-fleet-${index}`);
      // freePort probes 127.0.0.1; another process may still take the port on 127.0.0.N first, so retry on a
      // failed bind.
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const config = join(hostDir, 'sshd_config');
        await writeFile(config, [
          `ListenAddress ${address}:${port}`,
          `HostKey ${hostKeyFile}`,
          `PidFile ${join(hostDir, 'sshd.pid')}`,
          `AuthorizedKeysFile ${authorizedKeys}`,
          `AllowUsers ${username}`,
          'PubkeyAuthentication yes',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'PermitRootLogin no',
          // The keys live under /tmp, which is world-writable.
          'StrictModes no',
          'LogLevel INFO',
          '',
        ].join('\n'));
        try {
          daemons.push(await startSshd(config));
        } catch (error) {
          if (attempt < 3 && /Bind to port|Address already in use/.test(String(error))) continue;
          throw error;
        }
        const publicKeyFile = `${hostKeyFile}.pub`;
        hosts.push({
          address,
          port,
          username,
          hostKey: (await readFile(publicKeyFile, 'utf8')).trim(),
          hostKeyFingerprint: await fingerprintOf(publicKeyFile),
        });
        break;
      }
    }
    return {
      hosts,
      clientPrivateKey: await readFile(join(dir, 'client'), 'utf8'),
      strangerPrivateKey: await readFile(join(dir, 'stranger'), 'utf8'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
