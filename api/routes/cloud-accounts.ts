// Cloud accounts over HTTP: the zod schemas of the requests and the masked view; every operation is a call to
// services/cloud-sync/accounts.ts, which keeps the account's schedule in step with its row.
import { z } from 'zod';
import type { CloudAccount } from '../../db/entities/cloud-sync/cloud-account.ts';
import { resourceTypeSchema } from '../../integrations/clouds/provider.ts';
import { cloudSyncScheduleId } from '../../contracts/cloud-sync.ts';
import { httpUrlMessage, isHttpUrl } from '../../contracts/http-url.ts';
import type { CloudAccountService } from '../../services/cloud-sync/accounts.ts';
import { errorBodySchema } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a region id such as us-east-1');

const accountFields = {
  name: z.string().trim().min(1).max(255).describe('Unique name of the account in opsflow; a name already taken answers 409.'),
  credentials: z.record(z.string(), z.unknown()).describe('Provider-specific: AWS `{accessKeyId, secretAccessKey}`, Alibaba `{accessKeyId, accessKeySecret}`, sim `{seed, ...}`. Sealed at rest, never returned.'),
  endpoint: z
    .string()
    .trim()
    .min(1)
    .max(255)
    // A bare host is allowed (the provider picks the scheme); anything with a scheme must be an http(s) URL.
    .refine((endpoint) => !endpoint.includes('://') || isHttpUrl(endpoint), httpUrlMessage)
    .nullable()
    .describe('Overrides the provider endpoints (private clouds, emulators): a host or an http(s) URL.'),
  regions: z.array(regionName).min(1).nullable().describe('Regions to sync; null or absent: every region the account lists. Checked against the provider only with `validate: true`.'),
  resourceTypes: z.array(resourceTypeSchema).min(1).describe('Resource types to sync; each must be offered by the provider.'),
  syncIntervalMinutes: z.number().int().min(0).max(10080).describe('Minutes between scheduled syncs; 0 pauses the schedule.'),
  enabled: z.boolean().describe('false pauses the schedule (manual syncs still run).'),
  validate: z.boolean().describe('Check the credentials (and regions) by listing the account\'s regions before saving.'),
};

const createBody = z
  .object({
    ...accountFields,
    provider: z.string().min(1).describe('Provider id, see GET /v1/providers.'),
    endpoint: accountFields.endpoint.optional(),
    regions: accountFields.regions.optional(),
    enabled: accountFields.enabled.default(true),
    validate: accountFields.validate.default(false),
  })
  .meta({ id: 'CloudAccountCreate' });

const patchBody = z
  .object({
    name: accountFields.name.optional(),
    credentials: accountFields.credentials.optional(),
    endpoint: accountFields.endpoint.optional(),
    regions: accountFields.regions.optional(),
    resourceTypes: accountFields.resourceTypes.optional(),
    syncIntervalMinutes: accountFields.syncIntervalMinutes.optional(),
    enabled: accountFields.enabled.optional(),
    validate: accountFields.validate.default(false),
  })
  .meta({ id: 'CloudAccountPatch' });

const accountView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    provider: z.string(),
    credentials: z.record(z.string(), z.string()).describe('Field names with masked values.'),
    endpoint: z.string().nullable(),
    regions: z.array(z.string()).nullable(),
    resourceTypes: z.array(z.string()),
    syncIntervalMinutes: z.number().int(),
    enabled: z.boolean(),
    scheduleId: z.string().describe('Temporal schedule: `temporal schedule trigger --schedule-id <scheduleId>`.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'CloudAccount' });

const syncBody = z
  .object({ resourceTypes: z.array(resourceTypeSchema).min(1).optional().describe('Subset of the account\'s types; all of them when absent.') })
  .optional()
  .meta({ id: 'CloudSyncRequest' });

const idParams = z.object({ id: z.uuid() });

/** What a write can answer besides success: a conflict (name taken, another change under way) or Temporal refusing. */
const writeRefusals = { 409: errorBodySchema, 503: errorBodySchema };

export function cloudAccountRoutes(accounts: CloudAccountService): RouteDefinition[] {
  function view(account: CloudAccount): z.input<typeof accountView> {
    return {
      id: account.id,
      name: account.name,
      provider: account.provider,
      credentials: accounts.maskedCredentials(account),
      endpoint: account.endpoint ?? null,
      regions: account.regions ?? null,
      resourceTypes: account.resourceTypes,
      syncIntervalMinutes: account.syncIntervalMinutes,
      enabled: account.enabled,
      scheduleId: cloudSyncScheduleId(account.id),
      createdAt: account.createdAt.toISOString(),
      updatedAt: account.updatedAt.toISOString(),
    };
  }

  return [
    defineRoute({
      method: 'POST',
      url: '/v1/cloud-accounts',
      summary: 'Add a cloud account and its sync schedule',
      description: 'Creates Temporal schedule `cloud-sync:<id>` (overlap SKIP) at the interval; interval 0 or enabled false creates it paused. A name already taken answers 409; if Temporal refuses, 503 and nothing is stored.',
      tags: ['cloud inventory'],
      auth: 'operator',
      body: createBody,
      response: { 201: accountView, ...writeRefusals },
      handler: async ({ body }) => view(await accounts.create(body)),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cloud-accounts',
      summary: 'List cloud accounts (credentials masked)',
      tags: ['cloud inventory'],
      auth: 'viewer',
      response: { 200: z.object({ items: z.array(accountView) }).meta({ id: 'CloudAccountList' }) },
      handler: async () => ({ items: (await accounts.list()).map(view) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cloud-accounts/:id',
      summary: 'Read a cloud account (credentials masked)',
      tags: ['cloud inventory'],
      auth: 'viewer',
      params: idParams,
      response: { 200: accountView },
      handler: async ({ params }) => view(await accounts.get(params.id)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/cloud-accounts/:id',
      summary: 'Change a cloud account; its schedule follows',
      description: 'A new interval updates schedule `cloud-sync:<id>`; interval 0 or enabled false pauses it. Credentials are replaced whole. A name already taken, or another change of the account still being applied, answers 409; if Temporal refuses, 503 and the account stays as it was.',
      tags: ['cloud inventory'],
      auth: 'operator',
      params: idParams,
      body: patchBody,
      response: { 200: accountView, ...writeRefusals },
      handler: async ({ params, body }) => view(await accounts.change(params.id, body)),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/cloud-accounts/:id',
      summary: 'Delete a cloud account, its schedule, its running syncs and its inventory',
      description: 'Deletes schedule `cloud-sync:<id>` and cancels the account\'s running syncs (the manual `cloud-sync:<id>` and the runs the schedule started; they end cancelled). If Temporal refuses, the account is kept (503). Its resources, relations and sync runs are deleted with it; a sync still finishing a page cannot write to the deleted account, so no resource of it exists once this returns.',
      tags: ['cloud inventory'],
      auth: 'operator',
      params: idParams,
      response: { 204: z.undefined(), ...writeRefusals },
      async handler({ params }) {
        await accounts.delete(params.id);
        return undefined;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/cloud-accounts/:id/sync',
      summary: 'Sync an account now',
      description: 'Starts workflow `cloud-sync:<id>`; while one runs, asking again returns the running one.',
      tags: ['cloud inventory'],
      auth: 'operator',
      params: idParams,
      body: syncBody,
      response: { 202: z.object({ workflowId: z.string(), runId: z.string() }).meta({ id: 'CloudSyncStarted' }), ...writeRefusals },
      handler: ({ params, body }) => accounts.syncNow(params.id, body?.resourceTypes),
    }),
  ];
}
