// Temporal remote codec endpoint (POST /codec/decode, /codec/encode) so the Temporal Web UI can show decrypted
// payloads to an operator. Wire format: { payloads: [{ metadata: { key: base64 }, data: base64 }] } both ways.
// CORS is answered for the one configured origin (the Web UI), including the OPTIONS preflight.
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { defineRoute, registerRoutes, type RouteDefinition } from './route.ts';

export type Codec = Pick<PayloadCodec, 'encode' | 'decode'>;

const jsonPayload = z.object({
  metadata: z.record(z.string(), z.base64()).optional(),
  data: z.base64().optional(),
});
const codecBody = z.object({ payloads: z.array(jsonPayload) }).meta({ id: 'CodecPayloads', description: 'Temporal remote codec payloads; bytes in base64.' });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, fromBase64(value)])),
    data: payload.data === undefined ? undefined : fromBase64(payload.data),
  };
}

function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, toBase64(value)]));
  return payload.data ? { metadata, data: toBase64(payload.data) } : { metadata };
}

const CODEC_BODY_LIMIT = 16 * 1024 * 1024;

function codecRoute(action: 'encode' | 'decode', codec: Codec): RouteDefinition {
  return defineRoute({
    method: 'POST',
    url: `/codec/${action}`,
    summary: action === 'decode' ? 'Decode Temporal payloads (remote codec)' : 'Encode Temporal payloads (remote codec)',
    description: 'Temporal remote codec protocol, for the Temporal Web UI and CLI (`--codec-endpoint`).',
    tags: ['codec'],
    auth: 'operator',
    bodyLimit: CODEC_BODY_LIMIT,
    body: codecBody,
    response: { 200: codecBody },
    handler: async ({ body }) => {
      const payloads = await codec[action](body.payloads.map(fromJson));
      return { payloads: payloads.map(toJson) };
    },
  });
}

export function codecRoutes(codec: Codec): RouteDefinition[] {
  return [codecRoute('decode', codec), codecRoute('encode', codec)];
}

const ALLOW_HEADERS = 'content-type, authorization, x-namespace';

/** Registers the codec routes in their own scope, whose responses (errors included) carry the CORS headers. */
export async function registerCodec(app: FastifyInstance, routes: RouteDefinition[], corsOrigin: string | undefined): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (request, reply, payload) => {
      reply.header('vary', 'Origin');
      const origin = request.headers.origin;
      if (corsOrigin === '*') reply.header('access-control-allow-origin', '*');
      else if (corsOrigin && origin === corsOrigin) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-credentials', 'true');
      }
      return payload;
    });
    registerRoutes(scope, routes);
    for (const route of routes) {
      scope.options(route.url, { config: { auth: 'public' } }, async (_request, reply) =>
        reply
          .code(204)
          .header('access-control-allow-methods', 'POST, OPTIONS')
          .header('access-control-allow-headers', ALLOW_HEADERS)
          .header('access-control-max-age', '600')
          .send(),
      );
    }
  });
}
