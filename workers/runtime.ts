// The composition root shared by every opsflow process: from the parsed configuration it opens the
// keyring, the token issuer, the ORM and the Temporal client, each exactly once.
import type { Client } from '@temporalio/client';
import type { Config } from '../config/env.ts';
import type { Keyring } from '../security/keyring.ts';
import { createSecretBox, type SecretBox } from '../security/secrets.ts';
import type { TokenIssuer } from '../security/tokens.ts';
import { createOrm, type Orm } from '../db/orm.ts';
import { connectClient } from '../temporal/connection.ts';
import { databaseUrl, openKeyring, openTokenIssuer } from './local-state.ts';
import { createCloudRegistry, type CloudRegistry } from '../integrations/clouds/registry.ts';
import { OutboundPolicy } from '../integrations/outbound/policy.ts';

/** The cloud providers this process offers: OPSFLOW_CLOUD_PROVIDERS of the built-ins and OPSFLOW_CLOUD_PLUGINS. */
export function openCloudRegistry(config: Config, outbound: OutboundPolicy): Promise<CloudRegistry> {
  return createCloudRegistry({ enabled: config.clouds.providers, plugins: config.clouds.plugins, baseDir: process.cwd(), outbound });
}

export interface Runtime {
  config: Config;
  keyring: Keyring;
  secrets: SecretBox;
  tokens: TokenIssuer;
  orm: Orm;
  temporal: Client;
  clouds: CloudRegistry;
  /** OPSFLOW_OUTBOUND_ALLOW / _DENY as a policy, for every call to an address a user configured. */
  outbound: OutboundPolicy;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, options: { databaseUrl?: string } = {}): Promise<Runtime> {
  const keyring = openKeyring(config);
  const outbound = new OutboundPolicy(config.outbound);
  const clouds = await openCloudRegistry(config, outbound);
  const orm = await createOrm(options.databaseUrl ?? databaseUrl(config));
  let temporal: Client;
  try {
    temporal = await connectClient(config, keyring);
  } catch (error) {
    await orm.close();
    throw error;
  }
  return {
    config,
    keyring,
    secrets: createSecretBox(keyring),
    tokens: openTokenIssuer(config),
    orm,
    temporal,
    clouds,
    outbound,
    async close() {
      // The database pool must be closed even if Temporal is already gone, or its idle connections would
      // error out when PostgreSQL stops.
      try {
        await temporal.connection.close();
      } finally {
        await orm.close();
      }
    },
  };
}
