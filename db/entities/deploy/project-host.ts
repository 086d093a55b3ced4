// A host's membership in a project: its place in release order, whether the project's upstream sends it traffic,
// and which build it runs. This row, not the nginx file, is the record: the upstream file is always rendered from
// all of a project's rows, so two hosts drained at once, or a crash between two reloads, cannot lose one of them.
import { defineEntity, p } from '@mikro-orm/core';
import { DeployProject } from './project.ts';
import { DeployHost } from './host.ts';

const DeployProjectHostSchema = defineEntity({
  name: 'DeployProjectHost',
  tableName: 'deploy_project_host',
  properties: {
    project: () => p.manyToOne(DeployProject).primary().deleteRule('cascade'),
    /** A host that belongs to a project cannot be deleted (remove it from the project first). */
    host: () => p.manyToOne(DeployHost).primary().deleteRule('restrict'),
    position: p.integer(),
    /** false: marked `down` in the project's upstream (drained). */
    inUpstream: p.boolean().default(true),
    /** The build the host runs, as the last deploy or rollback on it left it; null before any. */
    deployedBuildId: p.uuid().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class DeployProjectHost extends DeployProjectHostSchema.class {}
DeployProjectHostSchema.setClass(DeployProjectHost);
export { DeployProjectHostSchema };
