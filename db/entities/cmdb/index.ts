// The CMDB watch replay's entities: sources, cursors and stored events, per-sink cursors, and the topology mirror.
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

export const CMDB_ENTITIES = [
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
