// Opens a CMDB source for an activity: its row, the app secret unsealed only here, and a client for its access style
// that calls CMDB through the process's outbound policy.
import type { Orm } from '../../db/orm.ts';
import { CmdbSource, cmdbSourceSecretContext } from '../../db/entities/cmdb/cmdb-source.ts';
import type { SecretBox } from '../../security/secrets.ts';
import { CmdbClient, type CmdbAccess } from '../../integrations/cmdb/client.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import type { CmdbReplayResource, CmdbWatchedResource } from '../../contracts/cmdb.ts';

export interface OpenedSource {
  source: CmdbSource;
  client: CmdbClient;
}

export function cmdbAccessOf(source: CmdbSource, secrets: SecretBox): CmdbAccess {
  const appSecret = source.appSecretSealed ? secrets.open<string>(source.appSecretSealed, cmdbSourceSecretContext(source.id)) : '';
  switch (source.apiStyle) {
    case 'native':
      return { style: 'native', username: source.username };
    case 'esb':
      return { style: 'esb', appCode: source.appCode, appSecret, username: source.username };
    case 'apigw':
      return { style: 'apigw', appCode: source.appCode, appSecret, username: source.username };
  }
}

/** Null when the source was deleted: its watchers and replays end quietly. */
export async function openCmdbSource(orm: Orm, secrets: SecretBox, outbound: OutboundPolicy, sourceId: string): Promise<OpenedSource | null> {
  const source = await orm.em.fork().findOne(CmdbSource, { id: sourceId });
  if (!source) return null;
  const client = new CmdbClient({ baseUrl: source.baseUrl, access: cmdbAccessOf(source, secrets), supplierAccount: source.supplierAccount, outbound });
  return { source, client };
}

export function watchedResource(source: CmdbSource, resource: CmdbReplayResource): CmdbWatchedResource | undefined {
  return source.resources.find((entry) => entry.resource === resource);
}
