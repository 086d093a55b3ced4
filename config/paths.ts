// Where the embedded stack keeps its local state under OPSFLOW_HOME (default .opsflow/).
import { join } from 'node:path';

export function statePaths(home: string) {
  return {
    home,
    postgresDir: join(home, 'pg'),
    temporalDb: join(home, 'temporal.db'),
    encryptionKeyFile: join(home, 'encryption-keys'),
    jwtSecretFile: join(home, 'jwt-secret'),
    adminTokenFile: join(home, 'admin-token'),
  };
}
