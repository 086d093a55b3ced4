// The probe workflow's contract: an end-to-end check that a worker polls a task queue, decodes payloads
// with the same keys as the API, and reaches the database.
import { z } from 'zod';

export const probeInputSchema = z.object({
  probeId: z.uuid(),
  /** Sent through Temporal on purpose: the worker writes back what it decoded. */
  note: z.string().max(1000),
});
export type ProbeInput = z.infer<typeof probeInputSchema>;

export interface ProbeResult {
  probeId: string;
  workerIdentity: string;
}

export const probeWorkflowId = (probeId: string) => `probe:${probeId}`;
