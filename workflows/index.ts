// The single workflowsPath bundled for every worker: each workflow opsflow runs is exported here.
export { probeWorkflow } from './probe.ts';
