// `opsflow migrate`: applies the committed migrations (never a schema auto-update); --check reports drift.
import { loadConfig } from '../config/env.ts';
import { createOrm, migrateToLatest, schemaDrift } from '../db/orm.ts';
import { databaseUrl } from '../workers/local-state.ts';
import type { CliCommand } from './command.ts';

export const migrateCommand: CliCommand = {
  usage: 'opsflow migrate [--check]',
  options: { check: { type: 'boolean' } },
  optionHelp: { check: 'after migrating, fail if the entities need schema changes no migration makes' },
  async run(values) {
    const config = loadConfig();
    const orm = await createOrm(databaseUrl(config));
    try {
      const applied = await migrateToLatest(orm);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      if (values.check) {
        const drift = await schemaDrift(orm);
        if (drift) {
          process.stderr.write(`the entities need schema changes that no migration makes:\n${drift}\n`);
          return 1;
        }
      }
      return 0;
    } finally {
      await orm.close();
    }
  },
};
