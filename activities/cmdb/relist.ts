// Lists one resource's current state from CMDB through the paged re-list APIs (business by business), for the
// informer start and the recovery from an expired cursor.
import type { CmdbClient } from '../../integrations/cmdb/client.ts';
import type { CmdbReplayResource } from '../../contracts/cmdb.ts';

type Detail = Record<string, unknown>;

export async function listCmdbResource(
  client: CmdbClient,
  resource: CmdbReplayResource,
  fields: string[],
  options: { signal?: AbortSignal },
): Promise<Detail[]> {
  const listed: Detail[] = [];
  const paging = { signal: options.signal };
  const bizIds: number[] = [];
  for await (const page of client.searchBusinessPages({ fields: resource === 'biz' ? fields : ['bk_biz_id'] }, paging)) {
    for (const biz of page.items) {
      bizIds.push(biz.bk_biz_id);
      if (resource === 'biz') listed.push(biz);
    }
  }
  if (resource === 'biz') return listed;
  for (const bizId of bizIds) {
    const scope = { bk_biz_id: bizId };
    const pages =
      resource === 'set'
        ? client.searchSetPages({ ...scope, fields }, paging)
        : resource === 'module'
          ? client.searchModulePages({ ...scope, fields }, paging)
          : resource === 'host'
            ? client.listBizHostsPages({ ...scope, fields }, paging)
            : client.findHostTopoRelationPages(scope, paging);
    for await (const page of pages) {
        // Set and module lists do not always echo bk_biz_id; the mirror needs it.
      for (const item of page.items) listed.push(resource === 'host' ? item : { bk_biz_id: bizId, ...item });
    }
  }
  return listed;
}
