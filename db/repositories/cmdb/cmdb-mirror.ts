// The topology mirror (business > set > module > host, and host relations) of each CMDB source: applied from
// replayed events (last change per object wins within a batch), replaced wholesale by a re-list, read as a tree.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../orm.ts';
import { boundQuery } from '../../bound-query.ts';
import type { CmdbReplayResource } from '../../../contracts/cmdb.ts';

type Detail = Record<string, unknown>;

interface MirrorTable {
  table: string;
  /** Columns identifying a row within a source, and the detail fields they come from. */
  key: Array<[column: string, field: string]>;
  /** Other columns: [column, sql type, value from the detail]. */
  columns: Array<[column: string, type: string, value: (detail: Detail) => unknown]>;
  keepsDetail: boolean;
}

const int = (field: string) => (detail: Detail) => toInt(detail[field]);
const text = (field: string) => (detail: Detail) => (detail[field] === null || detail[field] === undefined ? '' : String(detail[field]));

const MIRROR: Record<CmdbReplayResource, MirrorTable> = {
  biz: { table: 'cmdb_biz', key: [['bk_biz_id', 'bk_biz_id']], columns: [['name', 'text', text('bk_biz_name')]], keepsDetail: true },
  set: {
    table: 'cmdb_set',
    key: [['bk_set_id', 'bk_set_id']],
    columns: [['bk_biz_id', 'int', int('bk_biz_id')], ['name', 'text', text('bk_set_name')]],
    keepsDetail: true,
  },
  module: {
    table: 'cmdb_module',
    key: [['bk_module_id', 'bk_module_id']],
    columns: [['bk_set_id', 'int', int('bk_set_id')], ['bk_biz_id', 'int', int('bk_biz_id')], ['name', 'text', text('bk_module_name')]],
    keepsDetail: true,
  },
  host: {
    table: 'cmdb_host',
    key: [['bk_host_id', 'bk_host_id']],
    columns: [
      ['inner_ip', 'text', text('bk_host_innerip')],
      ['name', 'text', text('bk_host_name')],
      ['cloud_inst_id', 'text', (detail) => (detail.bk_cloud_inst_id ? String(detail.bk_cloud_inst_id) : null)],
    ],
    keepsDetail: true,
  },
  host_relation: {
    table: 'cmdb_host_relation',
    key: [['bk_host_id', 'bk_host_id'], ['bk_module_id', 'bk_module_id']],
    columns: [['bk_set_id', 'int', int('bk_set_id')], ['bk_biz_id', 'int', int('bk_biz_id')]],
    keepsDetail: false,
  },
};

function toInt(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw new TypeError(`expected an integer id, got ${JSON.stringify(value)}`);
  return number;
}

export function mirrorKey(resource: CmdbReplayResource, detail: Detail): string {
  return MIRROR[resource].key.map(([, field]) => toInt(detail[field])).join(':');
}

export interface MirrorChange {
  eventType: string;
  detail: Detail;
}

/** The net effect of a run of events on the mirror: per object, its last event decides (upsert or delete). */
export function collapseChanges(resource: CmdbReplayResource, changes: readonly MirrorChange[]): { upserts: Detail[]; deletes: Detail[] } {
  const last = new Map<string, MirrorChange>();
  for (const change of changes) {
    const key = mirrorKey(resource, change.detail);
    last.delete(key);
    last.set(key, change);
  }
  const upserts: Detail[] = [];
  const deletes: Detail[] = [];
  for (const change of last.values()) (change.eventType === 'delete' ? deletes : upserts).push(change.detail);
  return { upserts, deletes };
}

function rowsOf(spec: MirrorTable, details: readonly Detail[]): Array<Record<string, unknown>> {
  return details.map((detail) => {
    const row: Record<string, unknown> = {};
    for (const [column, field] of spec.key) row[column] = toInt(detail[field]);
    for (const [column, , value] of spec.columns) row[column] = value(detail);
    if (spec.keepsDetail) row.detail = detail;
    return row;
  });
}

async function upsertRows(tx: EntityManager, sourceId: string, spec: MirrorTable, details: readonly Detail[]): Promise<void> {
  if (details.length === 0) return;
  const keyColumns = spec.key.map(([column]) => column);
  const valueColumns = [...spec.columns.map(([column]) => column), ...(spec.keepsDetail ? ['detail'] : [])];
  const recordset = [
    ...keyColumns.map((column) => `${column} int`),
    ...spec.columns.map(([column, type]) => `${column} ${type}`),
    ...(spec.keepsDetail ? ['detail jsonb'] : []),
  ];
  const all = [...keyColumns, ...valueColumns];
  await boundQuery(
    tx,
    `insert into ${spec.table} (id, source_id, ${all.join(', ')}, updated_at)
     select gen_random_uuid(), $1, ${all.map((column) => `x.${column}`).join(', ')}, now()
     from jsonb_to_recordset($2::jsonb) as x(${recordset.join(', ')})
     on conflict (source_id, ${keyColumns.join(', ')}) do update set
       ${[...valueColumns, 'updated_at'].map((column) => `${column} = excluded.${column}`).join(', ')}`,
    [sourceId, JSON.stringify(rowsOf(spec, details))],
  );
}

async function deleteRows(tx: EntityManager, sourceId: string, spec: MirrorTable, details: readonly Detail[]): Promise<void> {
  if (details.length === 0) return;
  const keyColumns = spec.key.map(([column]) => column);
  await boundQuery(
    tx,
    `delete from ${spec.table} t using jsonb_to_recordset($1::jsonb) as x(${keyColumns.map((column) => `${column} int`).join(', ')})
     where t.source_id = $2 and ${keyColumns.map((column) => `t.${column} = x.${column}`).join(' and ')}`,
    [JSON.stringify(rowsOf({ ...spec, columns: [], keepsDetail: false }, details)), sourceId],
  );
}

/** Applies a run of events (in order) to the mirror inside the caller's transaction. */
export async function applyTopologyChanges(tx: EntityManager, sourceId: string, resource: CmdbReplayResource, changes: readonly MirrorChange[]): Promise<void> {
  const spec = MIRROR[resource];
  const { upserts, deletes } = collapseChanges(resource, changes);
  await deleteRows(tx, sourceId, spec, deletes);
  await upsertRows(tx, sourceId, spec, upserts);
}

// The same mapping as MIRROR, as SQL over a stored event's detail (for replay straight from cmdb_event).
const detailInt = (field: string) => `(e.detail ->> '${field}')::int`;
const detailText = (field: string) => `coalesce(e.detail ->> '${field}', '')`;
const SQL_COLUMNS: Record<CmdbReplayResource, Array<[column: string, expression: string]>> = {
  biz: [['name', detailText('bk_biz_name')]],
  set: [['bk_biz_id', detailInt('bk_biz_id')], ['name', detailText('bk_set_name')]],
  module: [['bk_set_id', detailInt('bk_set_id')], ['bk_biz_id', detailInt('bk_biz_id')], ['name', detailText('bk_module_name')]],
  host: [['inner_ip', detailText('bk_host_innerip')], ['name', detailText('bk_host_name')], ['cloud_inst_id', `nullif(e.detail ->> 'bk_cloud_inst_id', '')`]],
  host_relation: [['bk_set_id', detailInt('bk_set_id')], ['bk_biz_id', detailInt('bk_biz_id')]],
};

/**
 * Replays the next stored events of a resource (after `afterSeq`, at most `limit`) into the mirror without moving
 * them through the application: per object the last event of the run decides, as in applyTopologyChanges.
 */
export async function applyStoredTopologyEvents(
  tx: EntityManager,
  sourceId: string,
  resource: CmdbReplayResource,
  afterSeq: number,
  limit: number,
): Promise<{ count: number; lastSeq: number }> {
  const [range] = await tx.execute<Array<{ count: string; last_seq: string | null }>>(
    `select count(*) as count, max(seq) as last_seq from (
       select seq from cmdb_event where source_id = ? and resource = ? and seq > ? order by seq limit ?) s`,
    [sourceId, resource, afterSeq, limit],
  );
  const count = Number(range?.count ?? 0);
  if (count === 0) return { count: 0, lastSeq: afterSeq };
  const lastSeq = Number(range!.last_seq);
  const spec = MIRROR[resource];
  const keys = spec.key.map(([column, field]) => [column, detailInt(field)] as const);
  const columns = [...SQL_COLUMNS[resource], ...(spec.keepsDetail ? ([['detail', 'e.detail']] as Array<[string, string]>) : [])];
  const last = `select distinct on (${keys.map(([, expression]) => expression).join(', ')})
      e.event_type, ${[...keys, ...columns].map(([column, expression]) => `${expression} as ${column}`).join(', ')}
    from cmdb_event e where e.source_id = ? and e.resource = ? and e.seq > ? and e.seq <= ?
    order by ${keys.map(([, expression]) => expression).join(', ')}, e.seq desc`;
  const params = [sourceId, resource, afterSeq, lastSeq];
  const keyColumns = keys.map(([column]) => column);
  await tx.execute(
    `delete from ${spec.table} t using (${last}) l
     where l.event_type = 'delete' and t.source_id = ? and ${keyColumns.map((column) => `t.${column} = l.${column}`).join(' and ')}`,
    [...params, sourceId],
  );
  const all = [...keyColumns, ...columns.map(([column]) => column)];
  await tx.execute(
    `insert into ${spec.table} (id, source_id, ${all.join(', ')}, updated_at)
     select gen_random_uuid(), ?, ${all.map((column) => `l.${column}`).join(', ')}, now() from (${last}) l where l.event_type <> 'delete'
     on conflict (source_id, ${keyColumns.join(', ')}) do update set
       ${[...columns.map(([column]) => column), 'updated_at'].map((column) => `${column} = excluded.${column}`).join(', ')}`,
    [sourceId, ...params],
  );
  return { count, lastSeq };
}

/** A re-list: the mirror of this resource becomes exactly `listed` (what no longer exists in CMDB is deleted). */
export async function replaceTopologyResource(tx: EntityManager, sourceId: string, resource: CmdbReplayResource, listed: readonly Detail[]): Promise<void> {
  const spec = MIRROR[resource];
  const keyColumns = spec.key.map(([column]) => column);
  const keys = rowsOf({ ...spec, columns: [], keepsDetail: false }, listed);
  await boundQuery(
    tx,
    `delete from ${spec.table} t where t.source_id = $1 and not exists (
       select 1 from jsonb_to_recordset($2::jsonb) as x(${keyColumns.map((column) => `${column} int`).join(', ')})
       where ${keyColumns.map((column) => `t.${column} = x.${column}`).join(' and ')})`,
    [sourceId, JSON.stringify(keys)],
  );
  for (let start = 0; start < listed.length; start += 1000) await upsertRows(tx, sourceId, spec, listed.slice(start, start + 1000));
}

export async function deleteSourceData(orm: Orm, sourceId: string): Promise<void> {
  await orm.em.fork().transactional(async (tx) => {
    for (const table of [
      'cmdb_host_cloud_link',
      'cmdb_host_relation',
      'cmdb_host',
      'cmdb_module',
      'cmdb_set',
      'cmdb_biz',
      'cmdb_sink_cursor',
      'cmdb_event',
      'cmdb_cursor',
    ]) {
      await tx.execute(`delete from ${table} where source_id = ?`, [sourceId]);
    }
    await tx.execute('delete from cmdb_source where id = ?', [sourceId]);
  });
}

export interface TopologyHost {
  bkHostId: number;
  innerIp: string;
  name: string;
}
export interface TopologyModule {
  bkModuleId: number;
  name: string;
  hosts: TopologyHost[];
}
export interface TopologySet {
  bkSetId: number;
  name: string;
  modules: TopologyModule[];
}
export interface TopologyBiz {
  bkBizId: number;
  name: string;
  sets: TopologySet[];
}

/** The mirror as a business > set > module > host tree, every level sorted by id. */
export async function topologyTree(orm: Orm, sourceId: string, bizId?: number): Promise<TopologyBiz[]> {
  const em = orm.em.fork();
  const bizFilter = bizId === undefined ? '' : ' and bk_biz_id = ?';
  const params = bizId === undefined ? [sourceId] : [sourceId, bizId];
  const bizs = await em.execute<Array<{ bk_biz_id: number; name: string }>>(
    `select bk_biz_id, name from cmdb_biz where source_id = ?${bizFilter} order by bk_biz_id`, params);
  const sets = await em.execute<Array<{ bk_set_id: number; bk_biz_id: number; name: string }>>(
    `select bk_set_id, bk_biz_id, name from cmdb_set where source_id = ?${bizFilter} order by bk_set_id`, params);
  const modules = await em.execute<Array<{ bk_module_id: number; bk_set_id: number; name: string }>>(
    `select bk_module_id, bk_set_id, name from cmdb_module where source_id = ?${bizFilter} order by bk_module_id`, params);
  const hosts = await em.execute<Array<{ bk_module_id: number; bk_host_id: number; inner_ip: string; name: string }>>(
    `select r.bk_module_id, h.bk_host_id, h.inner_ip, h.name from cmdb_host_relation r
     join cmdb_host h on h.source_id = r.source_id and h.bk_host_id = r.bk_host_id
     where r.source_id = ?${bizFilter.replace('bk_biz_id', 'r.bk_biz_id')} order by h.bk_host_id`, params);

  const hostsByModule = groupBy(hosts, (row) => row.bk_module_id);
  const modulesBySet = groupBy(modules, (row) => row.bk_set_id);
  const setsByBiz = groupBy(sets, (row) => row.bk_biz_id);
  return bizs.map((biz) => ({
    bkBizId: biz.bk_biz_id,
    name: biz.name,
    sets: (setsByBiz.get(biz.bk_biz_id) ?? []).map((set) => ({
      bkSetId: set.bk_set_id,
      name: set.name,
      modules: (modulesBySet.get(set.bk_set_id) ?? []).map((module) => ({
        bkModuleId: module.bk_module_id,
        name: module.name,
        hosts: (hostsByModule.get(module.bk_module_id) ?? []).map((host) => ({ bkHostId: host.bk_host_id, innerIp: host.inner_ip, name: host.name })),
      })),
    })),
  }));
}

function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
