// Pinned SSH host keys: the OpenSSH public key line an operator copies from the host (`ssh-ed25519 AAAA... comment`,
// e.g. /etc/ssh/ssh_host_ed25519_key.pub) and the SHA256 fingerprint `ssh-keygen -l` shows for it.
import { createHash } from 'node:crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';

const keyTypes: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  // One RSA key signs with any of these; the newer SHA-2 ones first, as OpenSSH does.
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export interface PinnedHostKey {
  /** The key blob, as the host sends it during the handshake. */
  blob: Buffer;
  fingerprint: string;
  /** The signature algorithms to offer, so a host with several keys presents the pinned one. */
  algorithms: ServerHostKeyAlgorithm[];
}

/** SHA256:<base64 without padding>, the form `ssh-keygen -l` and the OpenSSH client print. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses an OpenSSH public key line, or returns why it is not one. */
export function parsePinnedHostKey(line: string): PinnedHostKey | { invalid: string } {
  const [type = '', encoded = ''] = line.trim().split(/\s+/);
  const algorithms = keyTypes[type];
  if (!algorithms) return { invalid: `key type "${type}" is not one of ${Object.keys(keyTypes).join(', ')}` };
  const blob = Buffer.from(encoded, 'base64');
  // The blob starts with its own type as an SSH string (uint32 length, bytes): a line whose parts disagree is corrupt.
  const innerLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (innerLength < 0 || blob.subarray(4, 4 + innerLength).toString('latin1') !== type) {
    return { invalid: `the base64 part is not a ${type} public key` };
  }
  return { blob, fingerprint: hostKeyFingerprint(blob), algorithms };
}
