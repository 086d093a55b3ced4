// The append-only progress log of a sync run: one line per notable step (a region listed, a page retried, an error).
import { defineEntity, p } from '@mikro-orm/core';
import { SyncRun } from './sync-run.ts';

export const SYNC_LINE_LEVELS = ['info', 'warn', 'error'] as const;

const SyncRunLineSchema = defineEntity({
  name: 'SyncRunLine',
  tableName: 'sync_run_line',
  indexes: [{ properties: ['run'] }],
  properties: {
    id: p.bigint().primary().autoincrement(),
    run: () => p.manyToOne(SyncRun).deleteRule('cascade'),
    at: p.datetime(),
    level: p.enum(SYNC_LINE_LEVELS),
    region: p.string().nullable(),
    message: p.text(),
  },
});

export class SyncRunLine extends SyncRunLineSchema.class {}
SyncRunLineSchema.setClass(SyncRunLine);
export { SyncRunLineSchema };
