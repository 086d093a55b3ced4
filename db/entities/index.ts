// Every entity opsflow persists; the ORM is configured with exactly this list (no folder discovery).
import { ProbeSchema } from './probe.ts';
import { CloudAccountSchema } from './cloud-account.ts';
import { ResourceSchema } from './resource.ts';
import { ResourceRelationSchema } from './resource-relation.ts';
import { SyncRunSchema } from './sync-run.ts';
import { SyncRunLineSchema } from './sync-run-line.ts';
import { CmdbSourceSchema } from './cmdb-source.ts';
import { CmdbCursorSchema } from './cmdb-cursor.ts';
import { CmdbEventSchema } from './cmdb-event.ts';
import { CmdbSinkCursorSchema } from './cmdb-sink-cursor.ts';
import { CmdbBizSchema } from './cmdb-biz.ts';
import { CmdbSetSchema } from './cmdb-set.ts';
import { CmdbModuleSchema } from './cmdb-module.ts';
import { CmdbHostSchema } from './cmdb-host.ts';
import { CmdbHostRelationSchema } from './cmdb-host-relation.ts';
import { CmdbHostCloudLinkSchema } from './cmdb-host-cloud-link.ts';

const CMDB_ENTITIES = [
  CmdbSourceSchema,
  CmdbCursorSchema,
  CmdbEventSchema,
  CmdbSinkCursorSchema,
  CmdbBizSchema,
  CmdbSetSchema,
  CmdbModuleSchema,
  CmdbHostSchema,
  CmdbHostRelationSchema,
  CmdbHostCloudLinkSchema,
];

export const ENTITIES = [ProbeSchema, CloudAccountSchema, ResourceSchema, ResourceRelationSchema, SyncRunSchema, SyncRunLineSchema, ...CMDB_ENTITIES];
