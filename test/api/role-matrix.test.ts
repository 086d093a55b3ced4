// Every route of the deployed API, read from its OpenAPI document (so a new route joins without editing this file),
// called by every kind of caller: no token, an expired token, a token signed with another secret, and each role.
// Each answers exactly as the route's documented access level (x-required-role) says: 401 without a valid token,
// 403 naming the role needed below it, and neither at or above it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Access } from '../../api/auth.ts';
import { createTokenIssuer, ROLES, roleAtLeast, type Role } from '../../security/tokens.ts';
import { startDomainStack, type DomainStack } from '../support/domain-stack.ts';

interface Operation {
  method: string;
  url: string;
  access: Access;
}

type Caller = { name: string; headers: () => Promise<Record<string, string>>; role?: Role };

const SOME_ID = '00000000-0000-4000-8000-000000000000';

let stack: DomainStack;
let operations: Operation[];

before(async () => {
  stack = await startDomainStack({ queues: [], workers: false, env: { OPSFLOW_CODEC_ENDPOINT: 'true' } });
  const document = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { 'x-required-role': Access }>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      // OpenAPI's {id} becomes a value that parses as any id; the auth check comes before anything looks it up.
      url: path.replace(/\{[^}]+\}/g, SOME_ID),
      access: operation['x-required-role'],
    })),
  );
});

after(() => stack?.close());

function callers(): Caller[] {
  const stranger = createTokenIssuer(new TextEncoder().encode('another-secret-that-is-at-least-32-bytes'));
  const bearer = (token: Promise<string>) => async () => ({ authorization: `Bearer ${await token}` });
  return [
    { name: 'no token', headers: async () => ({}) },
    { name: 'an expired admin token', headers: bearer(stack.tokens.issue({ subject: 'late', role: 'admin', expiresIn: -60 })) },
    { name: 'an admin token signed with another secret', headers: bearer(stranger.issue({ subject: 'forger', role: 'admin' })) },
    ...ROLES.map((role) => ({ name: `role ${role}`, role, headers: () => stack.bearer(role) })),
  ];
}

test('the OpenAPI document lists every route with its access level', () => {
  assert.ok(operations.length >= 20, `found ${operations.length} operations`);
  for (const operation of operations) assert.ok(['public', ...ROLES].includes(operation.access), `${operation.method} ${operation.url}: ${operation.access}`);
  assert.ok(operations.some((operation) => operation.access === 'public'), 'health and docs are public');
  assert.ok(operations.some((operation) => operation.access === 'operator'), 'writes need an operator');
  assert.ok(operations.some((operation) => operation.url.startsWith('/codec/')), 'the codec endpoint, enabled here, is listed too');
});

test('every route x every caller answers as its documented access level says', async () => {
  const mismatches: string[] = [];
  for (const caller of callers()) {
    const headers = await caller.headers();
    for (const { method, url, access } of operations) {
      const withBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
      const response = await stack.app.inject({
        method: method as 'GET',
        url,
        headers: { ...headers, ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { payload: '{}' } : {}),
      });
      const status = response.statusCode;
      const expected =
        access === 'public' ? 'allowed' : !caller.role ? 401 : roleAtLeast(caller.role, access) ? 'allowed' : 403;
      const ok =
        expected === 'allowed'
          ? status !== 401 && status !== 403 && status < 500
          : status === expected && (expected !== 403 || response.json().message?.includes(access));
      if (!ok) mismatches.push(`${caller.name}: ${method} ${url} (access ${access}) answered ${status}, expected ${expected}: ${response.body.slice(0, 200)}`);
    }
  }
  assert.deepEqual(mismatches, []);
});
