// Keys and connection details that a process reads from the environment or, on a single machine, from the files
// the embedded stack generates under OPSFLOW_HOME. Light on purpose: `opsflow token` needs only this.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/env.ts';
import { statePaths } from '../config/paths.ts';
import { loadKeyring, type Keyring } from '../security/keyring.ts';
import { createTokenIssuer, type TokenIssuer } from '../api/auth.ts';

/** Reads a generated secret file, creating it (mode 0600) on first use. */
function fileSecret(file: string, make: () => string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

export function openKeyring(config: Config): Keyring {
  return loadKeyring({ keys: config.security.encryptionKeys, keyFile: statePaths(config.home).encryptionKeyFile });
}

export function openTokenIssuer(config: Config): TokenIssuer {
  const secret = config.security.jwtSecret ?? fileSecret(statePaths(config.home).jwtSecretFile, () => randomBytes(48).toString('base64url'));
  return createTokenIssuer(new TextEncoder().encode(secret));
}

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL that `opsflow up` runs under OPSFLOW_HOME.
 */
export function databaseUrl(config: Config): string {
  if (config.database.url) return config.database.url;
  const passwordFile = join(statePaths(config.home).postgresDir, 'password');
  if (!existsSync(passwordFile)) {
    throw new Error(`DATABASE_URL is not set and no embedded PostgreSQL exists under ${config.home}: set DATABASE_URL, or run \`opsflow up\` first.`);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.database.embeddedPort}/opsflow`;
}
