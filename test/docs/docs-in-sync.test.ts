// Docs are part of the feature: the committed API reference and configuration table must match the schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { API_REFERENCE, README, apiReferenceMarkdown, readmeWithConfiguration } from '../../scripts/docs.ts';

test('docs/api.md is generated from the current route schemas (run `npm run docs`)', async () => {
  assert.equal(readFileSync(API_REFERENCE, 'utf8'), await apiReferenceMarkdown());
});

test('the README configuration table lists every variable of config/env.ts (run `npm run docs`)', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(readme, readmeWithConfiguration(readme));
});
