// One host of a release: its wave, its state and the steps it went through (with errors), including hosts that never
// answered (a timeout is a result) and hosts the release never reached.
import { defineEntity, p } from '@mikro-orm/core';
import { RELEASE_HOST_STATES, type ReleaseHostStep } from '../../../contracts/deploy.ts';
import { DeployRelease } from './release.ts';
import { DeployHost } from './host.ts';

const DeployReleaseHostSchema = defineEntity({
  name: 'DeployReleaseHost',
  tableName: 'deploy_release_host',
  properties: {
    release: () => p.manyToOne(DeployRelease).primary().deleteRule('cascade'),
    host: () => p.manyToOne(DeployHost).primary().deleteRule('cascade'),
    wave: p.integer(),
    /** Order inside the release (across waves). */
    position: p.integer(),
    state: p.enum(RELEASE_HOST_STATES).default('pending'),
    steps: p.json<ReleaseHostStep[]>(),
    error: p.text().nullable(),
    /** Who decided retry / skip / abort for it (onHostFailure "ask"), and what. */
    decision: p.string().nullable(),
    decidedBy: p.string().nullable(),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class DeployReleaseHost extends DeployReleaseHostSchema.class {}
DeployReleaseHostSchema.setClass(DeployReleaseHost);
export { DeployReleaseHostSchema };
