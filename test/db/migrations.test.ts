// The committed migrations are the only way the schema changes: applied to an empty database they must produce
// exactly what the entities describe, and applying them again must do nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateToLatest, schemaDrift } from '../../db/orm.ts';
import { createTestDatabase } from '../support/stack.ts';

test('migrations match the entities and are idempotent', async () => {
  const db = await createTestDatabase();
  try {
    assert.equal(await schemaDrift(db.orm), '', 'the entities need schema changes no migration makes: add a migration');
    assert.deepEqual(await migrateToLatest(db.orm), [], 'a second run applies nothing');
  } finally {
    await db.close();
  }
});
