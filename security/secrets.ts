// Secrets at rest: credentials, app secrets and keys are stored as an envelope string
// `v1:<keyId>:<base64(nonce|ciphertext|tag)>`, bound to the record they belong to, and masked for output.
import { type Keyring, DecryptionError } from './keyring.ts';

const PREFIX = 'v1';

export interface SecretBox {
  /** Encrypts any JSON value. `context` (e.g. `cloud_account:42`) must be given again to open it. */
  seal(value: unknown, context: string): string;
  open<T = unknown>(envelope: string, context: string): T;
}

export function createSecretBox(keyring: Keyring): SecretBox {
  return {
    seal(value, context) {
      const sealed = keyring.seal(Buffer.from(JSON.stringify(value), 'utf8'), Buffer.from(context, 'utf8'));
      return `${PREFIX}:${sealed.keyId}:${sealed.data.toString('base64')}`;
    },
    open<T>(envelope: string, context: string): T {
      const [version, keyId, data, ...rest] = envelope.split(':');
      if (version !== PREFIX || !keyId || data === undefined || rest.length > 0) {
        throw new DecryptionError(keyId ?? '?', 'not an opsflow secret envelope');
      }
      const plain = keyring.open({ keyId, data: Buffer.from(data, 'base64') }, Buffer.from(context, 'utf8'));
      return JSON.parse(plain.toString('utf8')) as T;
    },
  };
}

/** Shows that a value is set without revealing it: the last 4 characters of long values, nothing of short ones. */
export function maskSecret(value: string): string {
  // A short secret's last characters are a large share of it; only a long one shows its last 4, enough for a
  // person to tell two keys apart.
  if (value.length >= 24) return `****${value.slice(-4)}`;
  return '****';
}

/** Masks every string leaf of a credentials object, keeping its field names so a user sees what is set. */
export function maskSecretFields(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, typeof field === 'string' ? maskSecret(field) : '****']),
  );
}
