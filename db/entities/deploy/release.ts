// One release of a build to a project's hosts: how it rolls out (strategy, failure threshold, what happens on a
// failed host, pauses, approval, rollback), who asked and who approved, and where it stands. Per-host results are
// DeployReleaseHost rows; its live log is DeployEvent rows.
import { defineEntity, p } from '@mikro-orm/core';
import { ON_HOST_FAILURE, RELEASE_STATES, type ReleaseStrategy } from '../../../contracts/deploy.ts';
import { DeployProject } from './project.ts';
import { DeployBuild } from './build.ts';

const DeployReleaseSchema = defineEntity({
  name: 'DeployRelease',
  tableName: 'deploy_release',
  indexes: [{ properties: ['project', 'createdAt'] }],
  // At most one active release per project: a second one is refused by the database, not only by a read before it.
  uniques: [{ name: 'deploy_release_one_active_per_project', expression: `create unique index "deploy_release_one_active_per_project" on "deploy_release" ("project_id") where "state" in ('pending_approval', 'approved', 'running', 'paused')` }],
  properties: {
    id: p.uuid().primary(),
    project: () => p.manyToOne(DeployProject).deleteRule('cascade'),
    build: () => p.manyToOne(DeployBuild).deleteRule('cascade'),
    /** The build hosts go back to on rollback: the project's last successful release's build when this one was made. */
    previousBuildId: p.uuid().nullable(),
    /** The failed or cancelled release this one resumes (hosts already on the build are skipped). */
    resumedFromId: p.uuid().nullable(),
    state: p.enum(RELEASE_STATES),
    strategy: p.json<ReleaseStrategy>(),
    maxFailures: p.integer().nullable(),
    maxFailurePercent: p.double().nullable(),
    onHostFailure: p.enum(ON_HOST_FAILURE).default('stop'),
    /** Seconds, or 'manual'; null: no pause. */
    pauseBetweenWaves: p.string().nullable(),
    requireApproval: p.boolean().default(false),
    approvalTimeoutSeconds: p.integer(),
    rollbackOnFailure: p.boolean().default(true),
    requestedBy: p.string(),
    /** Who approved or rejected it, and when. */
    approvedBy: p.string().nullable(),
    approvedAt: p.datetime().nullable(),
    rejectedBy: p.string().nullable(),
    rejectedAt: p.datetime().nullable(),
    /** Why it failed or what stopped it, in opsflow's words. */
    error: p.text().nullable(),
    workflowId: p.string().unique(),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
});

export class DeployRelease extends DeployReleaseSchema.class {}
DeployReleaseSchema.setClass(DeployRelease);
export { DeployReleaseSchema };
