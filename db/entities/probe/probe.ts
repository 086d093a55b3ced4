// A probe is an end-to-end self-check of a deployment: the API starts a workflow on one task queue, a worker
// polling that queue records here which worker answered, and the API reads it back.
import { defineEntity, p } from '@mikro-orm/core';

export const PROBE_STATES = ['pending', 'completed', 'failed'] as const;

const ProbeSchema = defineEntity({
  name: 'Probe',
  tableName: 'probe',
  properties: {
    id: p.uuid().primary(),
    taskQueue: p.string(),
    note: p.text(),
    state: p.enum(PROBE_STATES).default('pending'),
    workflowId: p.string().unique(),
    requestedBy: p.string(),
    /** The note as the worker received it through Temporal: equal to `note` only if API and worker share the payload keys. */
    echo: p.text().nullable(),
    workerIdentity: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    completedAt: p.datetime().nullable(),
  },
});

export class Probe extends ProbeSchema.class {}
ProbeSchema.setClass(Probe);
export { ProbeSchema };
