// Cloud accounts: CRUD with sealed, always-masked credentials, the account's Temporal schedule kept in step with
// its row (both or neither), and manual syncs. Deleting an account deletes its schedule, cancels its running
// syncs and deletes its inventory.
import type { Client } from '@temporalio/client';
import { LockMode } from '@mikro-orm/core';
import { z } from 'zod';
import type { Orm } from '../../db/orm.ts';
import { CloudAccount, cloudAccountCredentialsContext as credentialsContext } from '../../db/entities/cloud-sync/cloud-account.ts';
import { isCloudError } from '../../integrations/clouds/errors.ts';
import { resourceTypeSchema } from '../../integrations/clouds/provider.ts';
import type { CloudRegistry } from '../../integrations/clouds/registry.ts';
import { maskSecretFields, type SecretBox } from '../../security/secrets.ts';
import { createCloudSyncScheduler } from '../cloud-sync-schedules.ts';
import { cloudSyncScheduleId } from '../../contracts/cloud-sync.ts';
import { ApiError, NotFoundError, UnprocessableError, type FieldIssue } from '../errors.ts';
import { defineRoute, type RouteDefinition } from '../route.ts';

export interface CloudAccountRouteDeps {
  orm: Orm;
  temporal: Client;
  secrets: SecretBox;
  clouds: () => Promise<CloudRegistry>;
  taskQueuePrefix: string;
}

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a region id such as us-east-1');

const accountFields = {
  name: z.string().trim().min(1).max(255).describe('Unique name of the account in opsflow.'),
  credentials: z.record(z.string(), z.unknown()).describe('Provider-specific: AWS `{accessKeyId, secretAccessKey}`, Alibaba `{accessKeyId, accessKeySecret}`, sim `{seed, ...}`. Sealed at rest, never returned.'),
  endpoint: z.string().trim().min(1).max(255).nullable().describe('Overrides the provider endpoints (private clouds, emulators).'),
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

/** How long a delete waits for the account's cancelled syncs to close before it deletes the row anyway. */
const syncStopWaitMs = 10_000;

function temporalUnavailable(what: string, error: unknown): ApiError {
  return new ApiError(503, 'temporal_unavailable', `Temporal refused to ${what}; nothing was changed: ${(error as Error).message}`);
}

export function cloudAccountRoutes(deps: CloudAccountRouteDeps): RouteDefinition[] {
  const { orm, secrets } = deps;
  const scheduler = createCloudSyncScheduler(deps.temporal, deps.taskQueuePrefix);

  function view(account: CloudAccount): z.input<typeof accountView> {
    const credentials = secrets.open<Record<string, unknown>>(account.credentials, credentialsContext(account.id));
    return {
      id: account.id,
      name: account.name,
      provider: account.provider,
      credentials: maskSecretFields(credentials),
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

  /** Everything the provider can check without calling the cloud, then (validate: true) listRegions. */
  async function checkAgainstProvider(
    input: { provider: string; credentials: Record<string, unknown>; endpoint?: string | null; regions?: string[] | null; resourceTypes: string[]; validate: boolean },
  ): Promise<void> {
    const registry = await deps.clouds();
    if (!registry.has(input.provider)) {
      throw new UnprocessableError('body.provider', `unknown provider ${JSON.stringify(input.provider)}; enabled: ${registry.list().map((p) => p.id).join(', ')}`);
    }
    const provider = registry.get(input.provider);
    const issues: FieldIssue[] = [];
    input.resourceTypes.forEach((type, index) => {
      if (!provider.resourceTypes.includes(type as never)) {
        issues.push({ path: `body.resourceTypes.${index}`, message: `${provider.displayName} does not offer ${type}; it offers ${provider.resourceTypes.join(', ')}` });
      }
    });
    const credentials = provider.credentialsSchema.safeParse(input.credentials);
    if (!credentials.success) {
      for (const issue of credentials.error.issues) issues.push({ path: ['body', 'credentials', ...issue.path.map(String)].join('.'), message: issue.message });
    }
    if (issues.length > 0) throw new UnprocessableError(issues);
    if (!input.validate) return;
    const session = registry.connect(input.provider, { credentials: input.credentials, endpoint: input.endpoint ?? undefined });
    try {
      const available = await session.listRegions();
      (input.regions ?? []).forEach((region, index) => {
        if (!available.includes(region)) issues.push({ path: `body.regions.${index}`, message: `the account has no region ${region}; it has ${available.join(', ')}` });
      });
    } catch (error) {
      if (isCloudError(error)) throw new UnprocessableError('body.credentials', `the provider refused them: ${error.message}`);
      throw error;
    } finally {
      session.close();
    }
    if (issues.length > 0) throw new UnprocessableError(issues);
  }

  async function findAccount(id: string): Promise<CloudAccount> {
    const account = await orm.em.fork().findOne(CloudAccount, { id });
    if (!account) throw new NotFoundError(`Cloud account ${id} not found.`);
    return account;
  }

  async function nameTaken(name: string, exceptId?: string): Promise<void> {
    const other = await orm.em.fork().findOne(CloudAccount, { name });
    if (other && other.id !== exceptId) throw new UnprocessableError('body.name', `an account named ${JSON.stringify(name)} already exists`);
  }

  return [
    defineRoute({
      method: 'POST',
      url: '/v1/cloud-accounts',
      summary: 'Add a cloud account and its sync schedule',
      description: 'Creates Temporal schedule `cloud-sync:<id>` (overlap SKIP) at the interval; interval 0 or enabled false creates it paused.',
      tags: ['cloud inventory'],
      auth: 'operator',
      body: createBody,
      response: { 201: accountView },
      async handler({ body }) {
        await checkAgainstProvider(body);
        await nameTaken(body.name);
        const id = crypto.randomUUID();
        return orm.em.fork().transactional(async (em) => {
          const account = em.create(CloudAccount, {
            id,
            name: body.name,
            provider: body.provider,
            credentials: secrets.seal(body.credentials, credentialsContext(id)),
            endpoint: body.endpoint ?? null,
            regions: body.regions ?? null,
            resourceTypes: body.resourceTypes,
            syncIntervalMinutes: body.syncIntervalMinutes,
            enabled: body.enabled,
          });
          await em.flush();
          try {
            await scheduler.create(account);
          } catch (error) {
            throw temporalUnavailable('create the sync schedule', error);
          }
          return view(account);
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cloud-accounts',
      summary: 'List cloud accounts (credentials masked)',
      tags: ['cloud inventory'],
      auth: 'viewer',
      response: { 200: z.object({ items: z.array(accountView) }).meta({ id: 'CloudAccountList' }) },
      async handler() {
        const accounts = await orm.em.fork().find(CloudAccount, {}, { orderBy: { name: 'asc' } });
        return { items: accounts.map(view) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/cloud-accounts/:id',
      summary: 'Read a cloud account (credentials masked)',
      tags: ['cloud inventory'],
      auth: 'viewer',
      params: idParams,
      response: { 200: accountView },
      async handler({ params }) {
        return view(await findAccount(params.id));
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/cloud-accounts/:id',
      summary: 'Change a cloud account; its schedule follows',
      description: 'A new interval updates schedule `cloud-sync:<id>`; interval 0 or enabled false pauses it. Credentials are replaced whole.',
      tags: ['cloud inventory'],
      auth: 'operator',
      params: idParams,
      body: patchBody,
      response: { 200: accountView },
      async handler({ params, body }) {
        const current = await findAccount(params.id);
        const credentials = body.credentials ?? secrets.open<Record<string, unknown>>(current.credentials, credentialsContext(current.id));
        await checkAgainstProvider({
          provider: current.provider,
          credentials,
          endpoint: body.endpoint === undefined ? current.endpoint : body.endpoint,
          regions: body.regions === undefined ? current.regions : body.regions,
          resourceTypes: body.resourceTypes ?? current.resourceTypes,
          validate: body.validate,
        });
        if (body.name !== undefined) await nameTaken(body.name, current.id);
        return orm.em.fork().transactional(async (em) => {
          const account = await em.findOneOrFail(CloudAccount, { id: params.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          if (body.name !== undefined) account.name = body.name;
          if (body.credentials !== undefined) account.credentials = secrets.seal(body.credentials, credentialsContext(account.id));
          if (body.endpoint !== undefined) account.endpoint = body.endpoint;
          if (body.regions !== undefined) account.regions = body.regions;
          if (body.resourceTypes !== undefined) account.resourceTypes = body.resourceTypes;
          if (body.syncIntervalMinutes !== undefined) account.syncIntervalMinutes = body.syncIntervalMinutes;
          if (body.enabled !== undefined) account.enabled = body.enabled;
          await em.flush();
          try {
            await scheduler.update(account);
          } catch (error) {
            throw temporalUnavailable('update the sync schedule', error);
          }
          return view(account);
        });
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/cloud-accounts/:id',
      summary: 'Delete a cloud account, its schedule, its running syncs and its inventory',
      description: 'Deletes schedule `cloud-sync:<id>` and cancels the account\'s running syncs (the manual `cloud-sync:<id>` and the runs the schedule started; they end cancelled). If Temporal refuses, the account is kept (503). Its resources, relations and sync runs are deleted with it; a sync still finishing a page cannot write to the deleted account, so no resource of it exists once this returns.',
      tags: ['cloud inventory'],
      auth: 'operator',
      params: idParams,
      response: { 204: z.undefined() },
      async handler({ params }) {
        await findAccount(params.id);
        // The row goes first, inside the transaction: from then on a sync's page commit waits on the row lock
        // while its workflow is cancelled, and, once this commits, fails on the resource -> cloud_account key. So
        // nothing is written for the account after we answer, whenever a cancelled activity notices. A refused
        // Temporal call rolls the row back.
        await orm.em.fork().transactional(async (em) => {
          const account = await em.findOneOrFail(CloudAccount, { id: params.id });
          em.remove(account);
          await em.flush();
          try {
            await scheduler.deleteAndStopSyncs(params.id, syncStopWaitMs);
          } catch (error) {
            throw temporalUnavailable('delete the sync schedule and stop the running syncs', error);
          }
        });
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
      response: { 202: z.object({ workflowId: z.string(), runId: z.string() }).meta({ id: 'CloudSyncStarted' }) },
      async handler({ params, body }) {
        const account = await findAccount(params.id);
        const chosen = body?.resourceTypes;
        const issues: FieldIssue[] = [];
        chosen?.forEach((type, index) => {
          if (!account.resourceTypes.includes(type)) issues.push({ path: `body.resourceTypes.${index}`, message: `the account does not sync ${type}; it syncs ${account.resourceTypes.join(', ')}` });
        });
        if (issues.length > 0) throw new UnprocessableError(issues);
        try {
          return await scheduler.startManualSync(account, chosen);
        } catch (error) {
          throw temporalUnavailable('start the sync', error);
        }
      },
    }),
  ];
}
