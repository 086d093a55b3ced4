// The cloud-link sink's writes: CMDB hosts matched to cloud inventory instances (`resource` rows of type instance
// that have not expired) by bk_cloud_inst_id = the instance id, or by an inner IP among the instance's privateIps.
import type { EntityManager } from '@mikro-orm/postgresql';
import { boundQuery } from '../../bound-query.ts';

type Detail = Record<string, unknown>;

/**
 * Re-matches the given hosts: their links are replaced by what matches now (`present`), or dropped (`gone`).
 * With `everyHost` the source's links are replaced wholesale, as after a re-list.
 */
export async function relinkHosts(tx: EntityManager, sourceId: string, present: readonly Detail[], gone: readonly Detail[], everyHost = false): Promise<void> {
  const touched = [...present, ...gone].map((detail) => Number(detail.bk_host_id));
  if (everyHost) await boundQuery(tx, 'delete from cmdb_host_cloud_link where source_id = $1', [sourceId]);
  else await boundQuery(tx, 'delete from cmdb_host_cloud_link where source_id = $1 and bk_host_id = any($2::int[])', [sourceId, touched]);
  if (present.length === 0) return;
  const hosts = present.map((detail) => ({
    bk_host_id: Number(detail.bk_host_id),
    cloud_inst_id: detail.bk_cloud_inst_id ? String(detail.bk_cloud_inst_id) : null,
    // CMDB emits the IP list comma-joined.
    ips: String(detail.bk_host_innerip ?? '').split(',').map((ip) => ip.trim()).filter((ip) => ip !== ''),
  }));
  await boundQuery(
    tx,
    `insert into cmdb_host_cloud_link (id, source_id, bk_host_id, resource_id, matched_by, linked_at)
     select gen_random_uuid(), $1, x.bk_host_id, r.id,
            case when r.external_id = x.cloud_inst_id then 'cloud-inst-id' else 'inner-ip' end, now()
     from jsonb_to_recordset($2::jsonb) as x(bk_host_id int, cloud_inst_id text, ips jsonb)
     join resource r on r.type = 'instance' and r.expired_at is null
      and (r.external_id = x.cloud_inst_id
           or jsonb_exists_any(coalesce(r.attributes -> 'privateIps', '[]'::jsonb), array(select jsonb_array_elements_text(x.ips))))
     on conflict (source_id, bk_host_id, resource_id) do nothing`,
    [sourceId, JSON.stringify(hosts)],
  );
}
