// Every entity opsflow persists, one list per domain; the ORM is configured with exactly this list (no folder
// discovery). A new domain adds its folder's index here.
import { PROBE_ENTITIES } from './probe/index.ts';
import { CLOUD_SYNC_ENTITIES } from './cloud-sync/index.ts';
import { CMDB_ENTITIES } from './cmdb/index.ts';
import { DEPLOY_ENTITIES } from './deploy/index.ts';

export const ENTITIES = [...PROBE_ENTITIES, ...CLOUD_SYNC_ENTITIES, ...CMDB_ENTITIES, ...DEPLOY_ENTITIES];
