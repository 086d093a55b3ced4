// The columns a row carries when it owns a Temporal side (a schedule, long-running workflows): where that side is
// relative to the row, since when, and a revision every write bumps. services/in-step.ts reads and writes them.
import { p } from '@mikro-orm/core';

/**
 * in_step: Temporal runs what the row says. applying / deleting: a request (or the reconciler) is changing or
 * deleting the Temporal side right now, or died doing so. out_of_step: nobody is, and Temporal may differ from the row.
 */
export const TEMPORAL_SIDE_STATES = ['in_step', 'applying', 'out_of_step', 'deleting'] as const;
export type TemporalSideState = (typeof TEMPORAL_SIDE_STATES)[number];

export const temporalSideProperties = {
  temporalSide: p.enum(TEMPORAL_SIDE_STATES).default('in_step'),
  /** When temporalSide last changed: an applying or deleting claim older than the lease was abandoned by a crash. */
  temporalSideSince: p.datetime().defaultRaw('now()'),
  /** Bumped by every write of the row, so a late writer can tell its row was changed in between. */
  revision: p.integer().default(0),
};
