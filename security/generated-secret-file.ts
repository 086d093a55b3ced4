// Secrets a single-machine install generates for itself (encryption keys, the JWT secret, the embedded
// database password): created once with mode 0600, then read back by every process that needs them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The file's content, trimmed; on first use `make()` writes it. If another process wins the race, theirs is used. */
export function readOrCreateSecretFile(file: string, make: () => string): string {
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
