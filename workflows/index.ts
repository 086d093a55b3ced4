// The single workflowsPath bundled for every worker: each workflow opsflow runs is exported here.
export { probeWorkflow } from './probe.ts';
export { syncAccount } from './cloud-sync/sync-account.ts';
export { syncResourceType } from './cloud-sync/sync-resource-type.ts';
export { cmdbWatchWorkflow } from './cmdb/watch.ts';
export { cmdbReplayWorkflow } from './cmdb/replay.ts';
