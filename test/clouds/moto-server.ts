// Starts a real moto server (AWS emulator) on a free loopback port for the AWS adapter tests, and turns
// on its IAM authentication once an access key exists, so bad credentials are refused as AWS would.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../scripts/free-port.ts';

const defaultBinary = resolve(import.meta.dirname, '../../.tools/venv/bin/moto_server');

export function motoBinary(): string | undefined {
  const binary = process.env['OPSFLOW_MOTO_SERVER_BIN'] || defaultBinary;
  return existsSync(binary) ? binary : undefined;
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
  /** Creates an IAM user allowed everything and returns its key; call before enableAuthentication. */
  createAdminAccessKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** From now on every request needs a key that exists in moto's IAM and a valid signature. */
  enableAuthentication(): Promise<void>;
}

export async function startMoto(binary: string): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${stderr}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }

  // IAM is called through its query API directly: with authentication still off, moto routes by the
  // credential scope in the Authorization header and does not check the signature.
  async function iam(parameters: Record<string, string>): Promise<string> {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIASEEDSEEDSEED0000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...parameters }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto IAM ${parameters['Action']} failed: ${text}`);
    return text;
  }

  return {
    endpoint,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
    async createAdminAccessKey(userName) {
      await iam({ Action: 'CreateUser', UserName: userName });
      await iam({
        Action: 'PutUserPolicy',
        UserName: userName,
        PolicyName: 'everything',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      });
      const created = await iam({ Action: 'CreateAccessKey', UserName: userName });
      const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(created)?.[1];
      const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(created)?.[1];
      if (!accessKeyId || !secretAccessKey) throw new Error('moto CreateAccessKey answered without a key');
      return { accessKeyId, secretAccessKey };
    },
    async enableAuthentication() {
      const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
      if (!response.ok) throw new Error(`moto reset-auth failed: ${await response.text()}`);
    },
  };
}
