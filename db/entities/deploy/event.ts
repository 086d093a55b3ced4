// The live log of builds and releases: output lines and state changes in the order they happened. The id orders
// them and is the Server-Sent Events id, so a client reconnecting with Last-Event-ID misses nothing.
import { defineEntity, p } from '@mikro-orm/core';
import { DEPLOY_EVENT_KINDS } from '../../../contracts/deploy.ts';
import { DeployBuild } from './build.ts';
import { DeployRelease } from './release.ts';

const DeployEventSchema = defineEntity({
  name: 'DeployEvent',
  tableName: 'deploy_event',
  indexes: [{ properties: ['build', 'id'] }, { properties: ['release', 'id'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    /** Exactly one of build and release is set. */
    build: () => p.manyToOne(DeployBuild).nullable().deleteRule('cascade'),
    release: () => p.manyToOne(DeployRelease).nullable().deleteRule('cascade'),
    /** The host a release line or state change is about. */
    hostId: p.uuid().nullable(),
    kind: p.enum(DEPLOY_EVENT_KINDS),
    /** stdout / stderr for lines; the new state for state changes. */
    stream: p.string().nullable(),
    text: p.text(),
    at: p.datetime().onCreate(() => new Date()),
  },
});

export class DeployEvent extends DeployEventSchema.class {}
DeployEventSchema.setClass(DeployEvent);
export { DeployEventSchema };
