// The encryption keyring shared by secrets at rest and the Temporal payload codec: AES-256-GCM keys with ids,
// the first one encrypts, every one decrypts, so a rotated-out key still opens what it sealed.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readOrCreateSecretFile } from './generated-secret-file.ts';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  /** nonce (12 bytes) || ciphertext || auth tag (16 bytes) */
  data: Buffer;
}

/** Thrown when ciphertext cannot be opened: unknown key id, wrong key, or tampered data. */
export class DecryptionError extends Error {
  readonly keyId: string;
  constructor(keyId: string, reason: string) {
    super(`cannot decrypt data sealed with key "${keyId}": ${reason}`);
    this.name = 'DecryptionError';
    this.keyId = keyId;
  }
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class Keyring {
  readonly #keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: EncryptionKey[]) {
    const first = keys[0];
    if (!first) throw new KeyringError('the keyring needs at least one key');
    this.#keys = new Map();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new KeyringError(`key id "${id}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
      if (key.length !== 32) throw new KeyringError(`key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
      if (this.#keys.has(id)) throw new KeyringError(`key id "${id}" appears twice`);
      this.#keys.set(id, key);
    }
    this.activeKeyId = first.id;
  }

  /** `additionalData` binds the ciphertext to its context (e.g. the record it belongs to). */
  seal(plaintext: Uint8Array, additionalData?: Uint8Array): Sealed {
    const key = this.#keys.get(this.activeKeyId)!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    if (additionalData) cipher.setAAD(additionalData);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyId: this.activeKeyId, data: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
  }

  open(sealed: Sealed, additionalData?: Uint8Array): Buffer {
    const key = this.#keys.get(sealed.keyId);
    if (!key) throw new DecryptionError(sealed.keyId, 'no such key in the keyring (was it removed from OPSFLOW_ENCRYPTION_KEYS?)');
    if (sealed.data.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionError(sealed.keyId, 'ciphertext is truncated');
    const nonce = sealed.data.subarray(0, NONCE_BYTES);
    const tag = sealed.data.subarray(sealed.data.length - TAG_BYTES);
    const body = sealed.data.subarray(NONCE_BYTES, sealed.data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    if (additionalData) decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new DecryptionError(sealed.keyId, 'authentication failed (wrong key or tampered data)');
    }
  }
}

/** Parses `id:base64key[,id:base64key...]`. */
export function parseKeyList(text: string): EncryptionKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) throw new KeyringError('OPSFLOW_ENCRYPTION_KEYS entries must look like id:base64key');
      return { id: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
    });
}

export function generateKey(id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`): EncryptionKey {
  return { id, key: randomBytes(32) };
}

export function formatKeyList(keys: EncryptionKey[]): string {
  return keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');
}

/**
 * The keyring from OPSFLOW_ENCRYPTION_KEYS when set, else from a key file that is generated on first use
 * (mode 0600). Production should set the variable (or mount the file) so every process shares the keys.
 */
export function loadKeyring(options: { keys?: string; keyFile: string }): Keyring {
  if (options.keys) return new Keyring(parseKeyList(options.keys));
  return new Keyring(parseKeyList(readOrCreateSecretFile(options.keyFile, () => formatKeyList([generateKey()]))));
}
