// The end-to-end self-check's entity.
import { ProbeSchema } from './probe.ts';

export const PROBE_ENTITIES = [ProbeSchema];
