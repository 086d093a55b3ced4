// Activities of the probe workflow: record which worker answered, idempotently (a retried attempt after the
// row was written returns the same answer).
import type { Orm } from '../db/orm.ts';
import { Probe } from '../db/entities/probe/probe.ts';
import type { ProbeInput, ProbeResult } from '../contracts/probe.ts';

export interface ProbeActivityDeps {
  orm: Orm;
  workerIdentity: string;
}

export function createProbeActivities({ orm, workerIdentity }: ProbeActivityDeps) {
  return {
    async recordProbeAnswer(input: ProbeInput): Promise<ProbeResult> {
      const em = orm.em.fork();
      const probe = await em.findOneOrFail(Probe, { id: input.probeId });
      if (probe.state !== 'completed') {
        probe.state = 'completed';
        probe.echo = input.note;
        probe.workerIdentity = workerIdentity;
        probe.completedAt = new Date();
        await em.flush();
      }
      return { probeId: probe.id, workerIdentity: probe.workerIdentity ?? workerIdentity };
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;
