// The cloud inventory's entities: accounts, the unified resource model with its edges, and sync runs with their log lines.
import { CloudAccountSchema } from './cloud-account.ts';
import { ResourceSchema } from './resource.ts';
import { ResourceRelationSchema } from './resource-relation.ts';
import { SyncRunSchema } from './sync-run.ts';
import { SyncRunLineSchema } from './sync-run-line.ts';

export const CLOUD_SYNC_ENTITIES = [CloudAccountSchema, ResourceSchema, ResourceRelationSchema, SyncRunSchema, SyncRunLineSchema];
