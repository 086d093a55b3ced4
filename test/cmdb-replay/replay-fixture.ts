// Shared set-up of the CMDB replay tests: an emulator with a clock that tests can push past the retention window,
// a webhook receiver that can be taken down, and the topology as the emulator's own list APIs report it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CmdbClient } from '../../integrations/cmdb/client.ts';
import type { RunningCmdbEmulator } from '../../integrations/cmdb/emulator/server.ts';
import { startTestEmulator, TEST_AUTH } from '../cmdb/cmdb-fixture.ts';
import type { CmdbEmulatorState } from '../../integrations/cmdb/emulator/state.ts';
import { verifyWebhookSignature, type WebhookEventBody } from '../../integrations/cmdb/webhook.ts';
import { testOutbound } from '../support/outbound.ts';

export const WEBHOOK_SECRET = 'webhook-secret-canary-1c8d2b';

export const WATCH_FIELDS = {
  biz: ['bk_biz_id', 'bk_biz_name'],
  set: ['bk_set_id', 'bk_set_name', 'bk_biz_id'],
  module: ['bk_module_id', 'bk_module_name', 'bk_set_id', 'bk_biz_id'],
  host: ['bk_host_id', 'bk_host_innerip', 'bk_host_name'],
} as const;

export const ALL_RESOURCES = [
  { resource: 'biz', mode: 'realtime', fields: [...WATCH_FIELDS.biz] },
  { resource: 'set', mode: 'realtime', fields: [...WATCH_FIELDS.set] },
  { resource: 'module', mode: 'realtime', fields: [...WATCH_FIELDS.module] },
  { resource: 'host', mode: 'realtime', fields: [...WATCH_FIELDS.host] },
  { resource: 'host_relation', mode: 'realtime' },
];

/** A POST /v1/cmdb/sources body for a source on `baseUrl` with the emulator's credentials over esb; `fields` add or override. */
export function sourceBody(baseUrl: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { baseUrl, apiStyle: 'esb', appCode: TEST_AUTH.appCode, appSecret: TEST_AUTH.appSecret, username: TEST_AUTH.username, ...fields };
}

export interface TestEmulator {
  emulator: RunningCmdbEmulator;
  /** Moves the emulator's clock forward: events older than its retention fall out and their cursors expire. */
  advance(seconds: number): void;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startReplayEmulator(retentionSeconds: number, state?: CmdbEmulatorState): Promise<TestEmulator> {
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;
  const options = { retentionSeconds, clock };
  let emulator = await startTestEmulator({ ...options, ...(state ? { state } : {}) });
  const handle: TestEmulator = {
    get emulator() {
      return emulator;
    },
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async restart() {
      const port = emulator.port;
      const kept = emulator.state;
      await emulator.close();
      emulator = await startTestEmulator({ ...options, port, state: kept });
    },
    close: () => emulator.close(),
  };
  return handle;
}

export interface TreeHost {
  bkHostId: number;
  innerIp: string;
  name: string;
}
export interface TreeBiz {
  bkBizId: number;
  name: string;
  sets: Array<{ bkSetId: number; name: string; modules: Array<{ bkModuleId: number; name: string; hosts: TreeHost[] }> }>;
}

/** The topology as CMDB's own list APIs report it, in the shape of GET /v1/cmdb/topology. */
export async function topologyFromListApis(url: string): Promise<TreeBiz[]> {
  const client = new CmdbClient({ baseUrl: url, access: { style: 'esb', ...TEST_AUTH }, outbound: testOutbound });
  const bizs: TreeBiz[] = [];
  for await (const page of client.searchBusinessPages({ fields: ['bk_biz_id', 'bk_biz_name'] })) {
    for (const biz of page.items) {
      const scope = { bk_biz_id: biz.bk_biz_id };
      const sets: Array<{ bk_set_id: number; bk_set_name: string }> = [];
      for await (const p of client.searchSetPages({ ...scope, fields: ['bk_set_id', 'bk_set_name'] })) sets.push(...(p.items as typeof sets));
      const modules: Array<{ bk_module_id: number; bk_module_name: string; bk_set_id: number }> = [];
      for await (const p of client.searchModulePages({ ...scope, fields: ['bk_module_id', 'bk_module_name', 'bk_set_id'] })) modules.push(...(p.items as typeof modules));
      const hosts = new Map<number, TreeHost>();
      for await (const p of client.listBizHostsPages({ ...scope, fields: ['bk_host_id', 'bk_host_innerip', 'bk_host_name'] })) {
        for (const host of p.items) hosts.set(host.bk_host_id, { bkHostId: host.bk_host_id, innerIp: String(host.bk_host_innerip), name: String(host.bk_host_name) });
      }
      const relations: Array<{ bk_host_id: number; bk_module_id: number }> = [];
      for await (const p of client.findHostTopoRelationPages(scope)) relations.push(...p.items);
      bizs.push({
        bkBizId: biz.bk_biz_id,
        name: String(biz.bk_biz_name),
        sets: sets
          .sort((a, b) => a.bk_set_id - b.bk_set_id)
          .map((set) => ({
            bkSetId: set.bk_set_id,
            name: set.bk_set_name,
            modules: modules
              .filter((module) => module.bk_set_id === set.bk_set_id)
              .sort((a, b) => a.bk_module_id - b.bk_module_id)
              .map((module) => ({
                bkModuleId: module.bk_module_id,
                name: module.bk_module_name,
                hosts: relations
                  .filter((relation) => relation.bk_module_id === module.bk_module_id)
                  .map((relation) => hosts.get(relation.bk_host_id)!)
                  .sort((a, b) => a.bkHostId - b.bkHostId),
              })),
          })),
      });
    }
  }
  return bizs.sort((a, b) => a.bkBizId - b.bkBizId);
}

export interface WebhookReceiver {
  url: string;
  /** Deliveries accepted, in arrival order (a re-delivery appears again). */
  accepted: WebhookEventBody[];
  badSignatures: number;
  /** 'down': answer 503; 'hold': keep requests open until the mode changes; 'up': accept. */
  mode: 'up' | 'down' | 'hold';
  requests: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret = WEBHOOK_SECRET): Promise<WebhookReceiver> {
  const held: Array<() => void> = [];
  const receiver: WebhookReceiver = {
    url: '',
    accepted: [],
    badSignatures: 0,
    requests: 0,
    get mode() {
      return mode;
    },
    set mode(next) {
      mode = next;
      if (next !== 'hold') for (const release of held.splice(0)) release();
    },
    close: async () => {
      for (const release of held.splice(0)) release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  let mode: WebhookReceiver['mode'] = 'up';
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
    });
  const server: Server = createServer(async (req, res) => {
    receiver.requests += 1;
    const body = await readBody(req);
    while (mode === 'hold') await new Promise<void>((resolve) => held.push(resolve));
    if (mode === 'down') {
      res.writeHead(503).end('receiver down');
      return;
    }
    if (!verifyWebhookSignature(secret, body, req.headers['x-opsflow-signature'] as string | undefined)) {
      receiver.badSignatures += 1;
      res.writeHead(401).end('bad signature');
      return;
    }
    receiver.accepted.push(JSON.parse(body) as WebhookEventBody);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cmdb`;
  return receiver;
}

/** Each resource's deliveries, first arrival of each event only, must be seq 1..n in order. */
export function deliveriesInOrder(accepted: readonly WebhookEventBody[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byResource = new Map<string, number[]>();
  for (const event of accepted) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    const list = byResource.get(event.resource) ?? [];
    list.push(event.seq);
    byResource.set(event.resource, list);
  }
  return byResource;
}
