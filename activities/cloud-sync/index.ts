// Activities of the cloud inventory sync. Workflows hand them ids only; credentials are opened here, from the
// account row, and never leave the worker. Listing a region pages through the provider, committing each page
// with its checkpoint, so a retried attempt (another worker, after a crash) resumes at the first uncommitted page.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../db/orm.ts';
import { CloudAccount, cloudAccountCredentialsContext } from '../../db/entities/cloud-sync/cloud-account.ts';
import { SyncRun } from '../../db/entities/cloud-sync/sync-run.ts';
import type { RegionCounts } from '../../db/entities/cloud-sync/sync-run.ts';
import { ResourceInventory, SyncRunEndedError, zeroCounts } from '../../db/repositories/cloud-sync/resource-inventory.ts';
import type { InventoryScope, RegionProgress } from '../../db/repositories/cloud-sync/resource-inventory.ts';
import { CloudThrottledError, isCloudError } from '../../integrations/clouds/errors.ts';
import { CLOUD_FAILURES, nonRetryableCloudSyncFailures } from '../../contracts/failure-types.ts';
import type { CloudRegistry } from '../../integrations/clouds/registry.ts';
import type { CloudSession, ResourcePage, ResourceType } from '../../integrations/clouds/provider.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { RegionSyncResult, SyncCounts, SyncRunOutcome, SyncRunResult } from '../../contracts/cloud-sync.ts';
import { inventoryRecords } from './normalize-page.ts';
import { whileHeartbeating } from '../heartbeat.ts';

export interface CloudSyncActivityDeps {
  orm: Orm;
  clouds: CloudRegistry;
  secrets: SecretBox;
  /** Resources asked for per page; each page is one upsert and one checkpoint. */
  pageSize: number;
}

/** Throttles in a row that are waited out inside one attempt before the attempt hands the wait to Temporal. */
const throttleWaitsPerAttempt = 8;
const longestThrottleWaitMs = 60_000;
/** Heartbeats of the listing activities, well inside longListing's heartbeat timeout. */
const heartbeatEveryMs = 2_000;


function accountGone(accountId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`cloud account ${accountId} no longer exists`, CLOUD_FAILURES.accountGone);
}

/** Sync runs are only ever deleted with their account, so a missing run is a deleted account too. */
function runGone(runId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`sync run ${runId} no longer exists: its cloud account was deleted`, CLOUD_FAILURES.accountGone);
}

function addCounts(into: SyncCounts, counts: RegionCounts): void {
  into.created += counts.created;
  into.updated += counts.updated;
  into.unchanged += counts.unchanged;
  into.expired += counts.expired;
}

export function createCloudSyncActivities({ orm, clouds, secrets, pageSize }: CloudSyncActivityDeps) {
  const inventory = new ResourceInventory(orm);

  async function loadAccount(accountId: string): Promise<CloudAccount> {
    const account = await orm.em.fork().findOne(CloudAccount, { id: accountId });
    if (!account) throw accountGone(accountId);
    return account;
  }

  async function loadRun(em: EntityManager, runId: string): Promise<SyncRun> {
    const run = await em.findOne(SyncRun, { id: runId });
    if (!run) throw runGone(runId);
    return run;
  }

  function connect(account: CloudAccount): CloudSession {
    return clouds.connect(account.provider, {
      credentials: secrets.open(account.credentials, cloudAccountCredentialsContext(account.id)),
      endpoint: account.endpoint ?? undefined,
      pageSize,
    });
  }

  /** Runs inside syncRegion's heartbeat: a throttle wait is a plain cancellable sleep. */
  async function listPage(session: CloudSession, scope: InventoryScope, pageToken: string | undefined, progress: RegionProgress): Promise<ResourcePage> {
    for (let throttles = 0; ; throttles++) {
      try {
        return await session.list(scope.type as ResourceType, scope.region, pageToken);
      } catch (error) {
        if (!(error instanceof CloudThrottledError)) throw error;
        const waitMs = Math.min(Math.max(error.retryAfterMs, 100), longestThrottleWaitMs);
        if (throttles >= throttleWaitsPerAttempt) {
          throw ApplicationFailure.create({ type: error.name, message: error.message, nextRetryDelay: waitMs });
        }
        await inventory.appendLine(scope.runId, 'warn', scope.region, `throttled at page ${progress.checkpoint.pages + 1}; waiting ${waitMs} ms as the provider asked`);
        await Context.current().sleep(waitMs);
      }
    }
  }

  function regionResult(region: string, progress: RegionProgress): RegionSyncResult {
    const { checkpoint, counts } = progress;
    return {
      region,
      state: checkpoint.state === 'failed' ? 'failed' : 'succeeded',
      counts,
      pages: checkpoint.pages,
      ...(checkpoint.error ? { error: checkpoint.error } : {}),
    };
  }

  return {
    /** Which types an account sync covers, and the provider (for the children's search attributes). */
    async planAccountSync(input: { accountId: string; resourceTypes?: string[] }): Promise<{ provider: string; resourceTypes: string[] }> {
      const account = await loadAccount(input.accountId);
      const configured = account.resourceTypes;
      const chosen = input.resourceTypes ? configured.filter((type) => input.resourceTypes!.includes(type)) : configured;
      return { provider: account.provider, resourceTypes: chosen };
    },

    /** Creates the run row (id chosen by the workflow, so a retry finds it instead of creating another). */
    async openSyncRun(input: { runId: string; accountId: string; resourceType: string; workflowId: string }): Promise<void> {
      const em = orm.em.fork();
      if (await em.findOne(SyncRun, { id: input.runId })) return;
      const account = await loadAccount(input.accountId);
      em.create(SyncRun, {
        id: input.runId,
        account: account.id,
        provider: account.provider,
        resourceType: input.resourceType,
        state: 'running',
        workflowId: input.workflowId,
        regions: [],
        counts: {},
        checkpoints: {},
        startedAt: new Date(),
      });
      await em.flush();
      await inventory.appendLine(input.runId, 'info', null, `sync of ${input.resourceType} started by ${input.workflowId}`);
    },

    /** The account's region filter, or every region the provider lists; a refusal is returned, not retried. */
    async resolveRegions(input: { runId: string }): Promise<{ regions: string[]; error?: string }> {
      const em = orm.em.fork();
      const run = await loadRun(em, input.runId);
      if (run.regions.length > 0) return { regions: run.regions };
      const account = await loadAccount(run.account.id);
      let regions = account.regions ?? undefined;
      if (!regions) {
        let session: CloudSession | undefined;
        try {
          session = connect(account);
          const listing = session;
          // Runs under the listing profile's heartbeat timeout: a slow provider must not look like a dead worker.
          regions = await whileHeartbeating(() => listing.listRegions(), { every: heartbeatEveryMs });
        } catch (error) {
          if (isCloudError(error) && nonRetryableCloudSyncFailures.includes(error.name)) return { regions: [], error: error.message };
          throw error;
        } finally {
          session?.close();
        }
      }
      run.regions = regions;
      await em.flush();
      await inventory.appendLine(run.id, 'info', null, `regions to list: ${regions.join(', ') || 'none'}`);
      return { regions };
    },

    /**
     * Lists one region of one type to the end, page by page. Completing the listing expires what it did not see;
     * a provider that refuses (credentials, garbage, unsupported) fails the region with its reason and expires nothing.
     */
    async syncRegion(input: { runId: string; region: string }): Promise<RegionSyncResult> {
      const em = orm.em.fork();
      const run = await loadRun(em, input.runId);
      const scope: InventoryScope = { runId: run.id, accountId: run.account.id, provider: run.provider, type: run.resourceType, region: input.region };
      let progress = await inventory.beginRegion(run.id, input.region);
      if (progress.checkpoint.state !== 'listing') return regionResult(input.region, progress);
      if (progress.checkpoint.pages > 0) {
        await inventory.appendLine(run.id, 'warn', input.region, `attempt ${Context.current().info.attempt} resumes after ${progress.checkpoint.pages} committed pages`);
      }
      const context = Context.current();
      let session: CloudSession | undefined;
      try {
        session = connect(await loadAccount(scope.accountId));
        const listing = session;
        // Heartbeats carry the committed position for the Web UI; the checkpoint a retry resumes from is the row.
        const details = () => ({ pages: progress.checkpoint.pages, pageToken: progress.checkpoint.pageToken, counts: progress.counts });
        progress = await whileHeartbeating(async (signal) => {
          for (;;) {
            const page = await listPage(listing, scope, progress.checkpoint.pageToken, progress);
            const records = inventoryRecords(scope.provider, scope.type as ResourceType, scope.region, page.resources);
            progress = await inventory.commitPage(scope, progress, records, page.nextPageToken);
            // A cancelled sync stops after the page in hand, which is committed, and does not complete the region
            // even after its last page: a listing that stopped for a cancellation expires nothing.
            signal.throwIfAborted();
            if (page.nextPageToken === undefined) break;
          }
          const { created, updated, unchanged } = progress.counts;
          return inventory.completeRegion(
            scope,
            progress,
            `listed ${progress.checkpoint.pages} pages: created ${created}, updated ${updated}, unchanged ${unchanged}`,
          );
        }, { every: heartbeatEveryMs, details });
        return regionResult(input.region, progress);
      } catch (error) {
        if (isCloudError(error) && nonRetryableCloudSyncFailures.includes(error.name)) {
          return regionResult(input.region, await inventory.failRegion(run.id, input.region, error.message));
        }
        if (isCloudError(error) && !(error instanceof CloudThrottledError)) {
          await inventory.appendLine(run.id, 'warn', input.region, `attempt ${context.info.attempt} failed, will retry: ${error.message}`);
        }
        // The account was deleted under the listing (its page commit hit the foreign key): loadAccount then throws
        // the non-retryable account-gone failure, since no retry can help.
        if (!isCloudError(error)) await loadAccount(scope.accountId);
        // The run's log says where the listing stopped and that it expired nothing: a cancelled sync, a run abandoned
        // under a listing that went on (its next commit was refused), or a worker shutting down (the retry resumes).
        const cancelled = context.cancellationSignal.aborted ? `cancelled (${(context.cancellationSignal.reason as Error).message})` : undefined;
        const stopped = error instanceof SyncRunEndedError ? error.message : cancelled;
        if (stopped !== undefined) {
          await inventory.appendLine(run.id, 'warn', input.region, `attempt ${context.info.attempt} stopped after ${progress.checkpoint.pages} committed pages, nothing expired: ${stopped}`);
        }
        if (error instanceof SyncRunEndedError) throw ApplicationFailure.nonRetryable(error.message, error.name);
        throw error;
      } finally {
        session?.close();
      }
    },

    /** Called by a cancelled sync: its run is marked failed with the reason, unless its account is being deleted. */
    async abandonSyncRun(input: { runId: string; reason: string }): Promise<void> {
      await inventory.abandonRun(input.runId, input.reason);
    },

    /** Called by the workflow when a region's retries ran out (an outage that did not pass). */
    async recordRegionFailure(input: { runId: string; region: string; error: string }): Promise<RegionSyncResult> {
      await loadRun(orm.em.fork(), input.runId);
      return regionResult(input.region, await inventory.failRegion(input.runId, input.region, input.error));
    },

    /** Sums the regions into the run's final state: succeeded, partially_failed or failed. Idempotent. */
    async finishSyncRun(input: { runId: string; error?: string }): Promise<SyncRunResult> {
      const em = orm.em.fork();
      const run = await loadRun(em, input.runId);
      const totals = zeroCounts();
      for (const counts of Object.values(run.counts)) addCounts(totals, counts);
      if (run.state === 'running') {
        const failed = run.regions.filter((region) => run.checkpoints[region]?.state !== 'succeeded');
        const state: SyncRunOutcome = input.error || (run.regions.length > 0 && failed.length === run.regions.length)
          ? 'failed'
          : failed.length > 0 ? 'partially_failed' : 'succeeded';
        run.state = state;
        run.finishedAt = new Date();
        run.error = input.error
          ?? (failed.length > 0 ? failed.map((region) => `${region}: ${run.checkpoints[region]?.error ?? 'did not complete'}`).join('; ') : null);
        await em.flush();
        await inventory.appendLine(
          run.id,
          state === 'succeeded' ? 'info' : 'error',
          null,
          `sync ${state}: created ${totals.created}, updated ${totals.updated}, unchanged ${totals.unchanged}, expired ${totals.expired}${run.error ? `; ${run.error}` : ''}`,
        );
      }
      return { runId: run.id, resourceType: run.resourceType, state: run.state as SyncRunOutcome, totals };
    },
  };
}

export type CloudSyncActivities = ReturnType<typeof createCloudSyncActivities>;
