// Every entity opsflow persists; the ORM is configured with exactly this list (no folder discovery).
import { ProbeSchema } from './probe.ts';

export const ENTITIES = [ProbeSchema];
