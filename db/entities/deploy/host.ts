// A machine releases deploy to: how to reach it (ssh with a sealed key and a pinned host key, or local for the demo
// and benchmarks), its labels, and optionally the cloud inventory resource it is.
import { defineEntity, p } from '@mikro-orm/core';
import { HOST_EXECUTORS } from '../../../contracts/deploy.ts';

/** Binds a host's sealed private key to that host. */
export const deployHostSecretContext = (hostId: string) => `deploy_host:${hostId}`;

const DeployHostSchema = defineEntity({
  name: 'DeployHost',
  tableName: 'deploy_host',
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    address: p.string(),
    port: p.integer().default(22),
    executor: p.enum(HOST_EXECUTORS),
    username: p.string().nullable(),
    /** Sealed with deployHostSecretContext(id); null for local hosts. */
    privateKeySealed: p.text().nullable(),
    /** The pinned host key, an OpenSSH public key line; null for local hosts. */
    hostKey: p.text().nullable(),
    labels: p.json<Record<string, string>>(),
    cloudResourceId: p.uuid().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class DeployHost extends DeployHostSchema.class {}
DeployHostSchema.setClass(DeployHost);
export { DeployHostSchema };
