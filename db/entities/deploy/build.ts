// One build of a project: the commit it built, what changed since the last successful build, and the artifact it
// archived. Its log lines are DeployEvent rows.
import { defineEntity, p } from '@mikro-orm/core';
import { BUILD_STATES, type BuildArtifact, type ChangelogEntry } from '../../../contracts/deploy.ts';
import { DeployProject } from './project.ts';

const DeployBuildSchema = defineEntity({
  name: 'DeployBuild',
  tableName: 'deploy_build',
  indexes: [{ properties: ['project', 'createdAt'] }],
  properties: {
    id: p.uuid().primary(),
    project: () => p.manyToOne(DeployProject).deleteRule('cascade'),
    /** What was asked for (commit, tag, branch or revision); null: the head of the project's branch. */
    ref: p.string().nullable(),
    state: p.enum(BUILD_STATES).default('queued'),
    commit: p.string().nullable(),
    changelog: p.json<ChangelogEntry[]>().nullable(),
    artifact: p.json<BuildArtifact>().nullable(),
    /** Why it failed, in opsflow's words (never a remote service's body). */
    error: p.text().nullable(),
    workflowId: p.string().unique(),
    requestedBy: p.string(),
    createdAt: p.datetime().onCreate(() => new Date()),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
});

export class DeployBuild extends DeployBuildSchema.class {}
DeployBuildSchema.setClass(DeployBuild);
export { DeployBuildSchema };
