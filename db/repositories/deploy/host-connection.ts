// A host row's connection settings with its private key opened: what integrations/hosts/factory.ts needs. Kept next
// to the entity so the API's host check and the deploy activities open the key the same way, and only here.
import { join } from 'node:path';
import type { SecretBox } from '../../../security/secrets.ts';
import type { HostConnection } from '../../../integrations/hosts/factory.ts';
import { localHostRoot } from '../../../integrations/hosts/factory.ts';
import { deployHostSecretContext, type DeployHost } from '../../entities/deploy/host.ts';

/** `home`: OPSFLOW_HOME; local hosts live under `<home>/local-hosts/<name>`. */
export function hostConnection(host: DeployHost, secrets: SecretBox, home: string): HostConnection {
  if (host.executor === 'local') return { executor: 'local', root: localHostRoot(join(home, 'local-hosts'), host.name) };
  if (!host.username || !host.privateKeySealed || !host.hostKey) throw new Error(`host ${host.name} is an ssh host without credentials or a pinned host key`);
  return {
    executor: 'ssh',
    address: host.address,
    port: host.port,
    username: host.username,
    privateKey: secrets.open<string>(host.privateKeySealed, deployHostSecretContext(host.id)),
    hostKey: host.hostKey,
  };
}
