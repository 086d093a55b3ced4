// Builds the OpenAPI 3.1 document from the route table with zod's own z.toJSONSchema(), and the routes that
// serve it: GET /openapi.json and GET /docs (a self-contained HTML reference, no scripts).
import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { Access } from './auth.ts';
import { errorBodySchema, validationErrorBodySchema } from './errors.ts';
import { renderApiReferenceHtml, roleNote } from './reference.ts';
import { defineRoute, type HttpMethod, type RouteDefinition } from './route.ts';

export { renderApiReferenceMarkdown } from './reference.ts';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiMedia {
  schema: JsonSchema;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  'x-required-role': Access;
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, OpenApiMedia> };
  responses: Record<string, { description: string; content?: Record<string, OpenApiMedia> }>;
}

export type OpenApiMethod = Lowercase<HttpMethod>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, Partial<Record<OpenApiMethod, OpenApiOperation>>>;
  components: {
    securitySchemes: Record<string, Record<string, unknown>>;
    schemas: Record<string, JsonSchema>;
  };
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  serverUrl?: string;
}

const SCHEMA_REF = '#/components/schemas/';

/**
 * Converts zod schemas; named schemas (`.meta({ id })`) move to components.schemas and are referenced.
 * When a name's input and output forms differ (defaults, strictness), the input form is stored as `<name>Input`.
 */
class SchemaConverter {
  readonly components: Record<string, JsonSchema> = {};
  private readonly stored = new Map<string, string>();

  private componentName(name: string, def: JsonSchema, io: 'input' | 'output', scope: string): string {
    const base = name.startsWith('__') ? `${scope}${name}` : name; // generated names (__schema0) are per operation
    const text = JSON.stringify(def);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? base : n === 1 && io === 'input' ? `${base}Input` : `${base}${n + 1}`;
      const existing = this.stored.get(candidate);
      if (existing === undefined) this.stored.set(candidate, text);
      if (existing === undefined || existing === text) return candidate;
    }
  }

  convert(schema: z.ZodType, io: 'input' | 'output', scope: string): JsonSchema {
    const json = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema._zod.def.type === 'date') Object.assign(jsonSchema, { type: 'string', format: 'date-time' });
      },
    }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    const names = new Map(Object.entries(defs).map(([name, def]) => [name, this.componentName(name, def, io, scope)]));
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) =>
          key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')
            ? [key, SCHEMA_REF + (names.get(inner.slice(8)) ?? inner.slice(8))]
            : [key, rewrite(inner)],
        ),
      );
    };
    for (const [name, def] of Object.entries(defs)) this.components[names.get(name)!] ??= rewrite(def) as JsonSchema;
    return rewrite(json) as JsonSchema;
  }

  /** A named schema's properties and required list, for parameters. */
  objectParts(schema: z.ZodType, scope: string): { properties: Record<string, JsonSchema>; required: string[] } {
    let json = this.convert(schema, 'input', scope);
    if (typeof json.$ref === 'string') json = this.components[json.$ref.slice(SCHEMA_REF.length)] ?? {};
    if (json.type !== 'object' || typeof json.properties !== 'object') throw new Error(`${scope}: params and query must be z.object() schemas`);
    return { properties: json.properties as Record<string, JsonSchema>, required: (json.required as string[] | undefined) ?? [] };
  }
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

function defaultOperationId(route: RouteDefinition): string {
  const words = [route.method.toLowerCase(), ...route.url.split('/').filter(Boolean).map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))];
  return words
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1)))
    .join('');
}

function parameters(route: RouteDefinition, converter: SchemaConverter, scope: string): OpenApiParameter[] {
  const result: OpenApiParameter[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const { properties, required } = converter.objectParts(schema, scope);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      result.push({
        name,
        in: where,
        required: where === 'path' || required.includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return result;
}

const ref = (name: string) => ({ $ref: SCHEMA_REF + name });
const errorResponse = (description: string, schemaName = 'Error') => ({ description, content: { 'application/json': { schema: ref(schemaName) } } });

function operation(route: RouteDefinition, operationId: string, converter: SchemaConverter): OpenApiOperation {
  const contentType = (route.contentType ?? 'application/json').split(';')[0]!;
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, schema] of Object.entries(route.response)) {
    const description = (typeof schema.description === 'string' && schema.description) || STATUS_CODES[status] || status;
    const code = Number(status);
    const media = code >= 400 ? 'application/json' : contentType;
    const json = converter.convert(schema, 'output', operationId);
    responses[status] = code === 204 || schema.def.type === 'undefined' || schema.def.type === 'void' ? { description } : { description, content: { [media]: { schema: json } } };
  }
  const hasInput = Boolean(route.params || route.query || route.body);
  if (route.body) responses['400'] ??= errorResponse('Malformed JSON or unsupported Content-Type.');
  if (route.auth !== 'public') {
    responses['401'] ??= errorResponse('Missing, invalid or expired bearer token.');
    responses['403'] ??= errorResponse(`The caller's role is below ${route.auth}.`);
  }
  if (route.params || route.query) responses['404'] ??= errorResponse('Something the request names (a path id, a filter such as sourceId) does not exist.');
  if (route.params) responses['414'] ??= errorResponse('A path parameter is longer than the API accepts.');
  // Writes change a row and its Temporal side together (services/in-step.ts): they can conflict, and a refusing
  // dependency answers 503 with nothing changed.
  const writes = route.auth !== 'public' && route.method !== 'GET';
  if (writes) responses['409'] ??= errorResponse('Conflicts with the current state: a duplicate name, a concurrent change, a delete in progress.');
  if (hasInput) responses['422'] ??= errorResponse('Invalid parameters or body; every bad field is listed.', 'ValidationError');
  if (writes) responses['503'] ??= errorResponse('A dependency (Temporal or PostgreSQL) refused or did not answer; nothing was changed.');
  const note = roleNote(route.auth);
  const params = parameters(route, converter, operationId);
  const op: OpenApiOperation = {
    operationId,
    summary: route.summary,
    description: route.description ? `${route.description}\n\n${note}` : note,
    tags: route.tags,
    security: route.auth === 'public' ? [] : [{ bearerAuth: [] }],
    'x-required-role': route.auth,
    responses,
  };
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    op.requestBody = { required: !route.body.safeParse(undefined).success, content: { 'application/json': { schema: converter.convert(route.body, 'input', operationId) } } };
  }
  return op;
}

export function buildOpenApiDocument(routes: readonly RouteDefinition[], info: OpenApiInfo): OpenApiDocument {
  const converter = new SchemaConverter();
  converter.convert(errorBodySchema, 'output', 'Error');
  converter.convert(validationErrorBodySchema, 'output', 'ValidationError');
  const paths: OpenApiDocument['paths'] = {};
  const usedIds = new Set<string>();
  for (const route of routes) {
    let operationId = route.operationId ?? defaultOperationId(route);
    for (let n = 2; usedIds.has(operationId); n++) operationId = `${route.operationId ?? defaultOperationId(route)}${n}`;
    usedIds.add(operationId);
    const path = (paths[openApiPath(route.url)] ??= {});
    path[route.method.toLowerCase() as OpenApiMethod] = operation(route, operationId, converter);
  }
  const schemas = Object.fromEntries(Object.entries(converter.components).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Roles: viewer < operator < approver < admin.' } },
      schemas,
    },
  };
}

/** GET /openapi.json and GET /docs; `document` is read when requested. */
export function openApiRoutes(document: () => OpenApiDocument): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/openapi.json',
      summary: 'OpenAPI 3.1 document',
      tags: ['documentation'],
      auth: 'public',
      response: { 200: z.record(z.string(), z.unknown()).describe('The OpenAPI 3.1 document.') },
      handler: () => document() as unknown as Record<string, unknown>,
    }),
    defineRoute({
      method: 'GET',
      url: '/docs',
      summary: 'API reference (HTML)',
      tags: ['documentation'],
      auth: 'public',
      contentType: 'text/html; charset=utf-8',
      response: { 200: z.string() },
      handler: ({ reply }) => {
        reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
        return renderApiReferenceHtml(document());
      },
    }),
  ];
}
