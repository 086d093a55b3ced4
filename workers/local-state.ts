// Keys and connection details that a process reads from the environment or, on a single machine, from the files
// the embedded stack generates under OPSFLOW_HOME. Light on purpose: `opsflow token` needs only this.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/env.ts';
import { statePaths } from '../config/paths.ts';
import { loadKeyring, type Keyring } from '../security/keyring.ts';
import { readOrCreateSecretFile } from '../security/generated-secret-file.ts';
import { createTokenIssuer, type TokenIssuer } from '../security/tokens.ts';

export function openKeyring(config: Config): Keyring {
  return loadKeyring({ keys: config.security.encryptionKeys, keyFile: statePaths(config.home).encryptionKeyFile });
}

export function openTokenIssuer(config: Config): TokenIssuer {
  const secret = config.security.jwtSecret ?? readOrCreateSecretFile(statePaths(config.home).jwtSecretFile, () => randomBytes(48).toString('base64url'));
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
