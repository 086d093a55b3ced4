import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { renderApiReferenceMarkdown, type OpenApiDocument } from '../../api/openapi.ts';
import { makeApp } from './helpers.ts';

describe('OpenAPI document and reference', () => {
  let app: FastifyInstance;
  let doc: OpenApiDocument;
  before(async () => {
    app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json();
  });
  after(() => app.close());

  it('is OpenAPI 3.1 with a bearer security scheme', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'Roles: viewer < operator < approver < admin.',
    });
  });

  it('describes a protected route with its request body and security requirement', () => {
    const op = doc.paths['/test/widgets']?.post;
    assert.ok(op, 'POST /test/widgets is documented');
    assert.deepEqual(op.security, [{ bearerAuth: [] }]);
    assert.equal(op['x-required-role'], 'operator');
    const schema = op.requestBody?.content['application/json']?.schema as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(Object.keys(schema.properties), ['name', 'replicas', 'owner']);
    assert.deepEqual(schema.required, ['name', 'replicas', 'owner']);
    assert.equal(op.requestBody?.required, true);
    assert.deepEqual(op.responses['201']?.content?.['application/json']?.schema, { $ref: '#/components/schemas/TestWidget' });
    assert.ok(doc.components.schemas.TestWidget);
    for (const status of ['400', '401', '403', '422']) assert.ok(op.responses[status], `documents ${status}`);
  });

  it('turns params and query into parameters', () => {
    const op = doc.paths['/test/widgets/{id}']?.get;
    assert.ok(op);
    assert.deepEqual(
      op.parameters?.map((p) => [p.name, p.in, p.required]),
      [
        ['id', 'path', true],
        ['limit', 'query', false],
        ['verbose', 'query', false],
      ],
    );
  });

  it('marks public routes as needing no security', () => {
    assert.deepEqual(doc.paths['/healthz']?.get?.security, []);
    assert.equal(doc.paths['/readyz']?.get?.['x-required-role'], 'public');
    assert.ok(doc.paths['/metrics']?.get?.responses['200']?.content?.['text/plain']);
  });

  it('serves /docs as self-contained HTML mentioning the routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /\/test\/widgets\/\{id\}/);
    assert.match(res.body, /Create a test widget/);
    assert.match(res.body, /operator or higher/);
    assert.doesNotMatch(res.body, /<script|<link|https?:\/\//);
  });

  it('renders Markdown for docs/api.md', () => {
    const md = renderApiReferenceMarkdown(doc);
    assert.match(md, /^# opsflow HTTP API/);
    assert.match(md, /### `POST \/test\/widgets` — Create a test widget/);
    assert.match(md, /Access: operator or higher\./);
    assert.match(md, /\| `limit` \| query \| integer \| no \|/);
    assert.ok(md.endsWith('\n'));
  });
});
