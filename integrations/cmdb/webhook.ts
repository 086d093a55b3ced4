// Webhook delivery of replayed CMDB events: a JSON POST signed with HMAC-SHA256 over the exact body, so the
// receiver can verify it came from opsflow (`X-Opsflow-Signature: sha256=<hex>`), sent through the outbound policy.
// Knows nothing of Temporal.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { OutboundRedirectRefusedError, OutboundRefusedError, outboundFetch, type OutboundPolicy } from '../outbound/policy.ts';
import { maskUrl } from '../outbound/masked-url.ts';

export const SIGNATURE_HEADER = 'x-opsflow-signature';
export const EVENT_ID_HEADER = 'x-opsflow-event-id';

export interface WebhookEventBody {
  eventId: string;
  sourceId: string;
  resource: string;
  /** Order of the event within its resource; a receiver that sees a seq again has seen the event before. */
  seq: number;
  cursor: string;
  eventType: string;
  detail: Record<string, unknown>;
  receivedAt: string;
}

export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a signature header against the raw body. */
export function verifyWebhookSignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Bound of one delivery, below the heartbeat timeout of cmdbReplay (10 s), the profile of the replay that delivers:
 * a delivery never outlives an attempt Temporal has given up on, so a retry cannot overtake it and break the order.
 */
export const WEBHOOK_TIMEOUT_MS = 8_000;

/**
 * The receiver did not take the event: an HTTP status outside 2xx, a transport failure or a timeout (`retryable`), or
 * the outbound policy refused the address or the receiver answered a redirect (not retryable: the same call would be
 * refused again until the sink or the policy changes). Names the URL masked; never carries the receiver's answer.
 */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(url: string, reason: string, options: { status?: number; retryable: boolean }) {
    super(`webhook ${maskUrl(url)} did not accept the event: ${reason}`);
    this.status = options.status;
    this.retryable = options.retryable;
  }
}

/**
 * POSTs one signed event through the outbound policy. `signal` ends the call early (the caller was cancelled): it
 * rejects with the signal's reason, not a WebhookDeliveryError, because the receiver did not refuse anything.
 */
export async function deliverWebhook(
  outbound: OutboundPolicy,
  url: string,
  secret: string,
  event: WebhookEventBody,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const body = JSON.stringify(event);
  let response: Response;
  try {
    response = await outboundFetch(outbound, url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookBody(secret, body),
        [EVENT_ID_HEADER]: event.eventId,
      },
      body,
      timeoutMs: options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      signal: options.signal,
    });
    // The answer is read to free the connection and otherwise ignored: only its status counts.
    await response.arrayBuffer();
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof OutboundRefusedError || error instanceof OutboundRedirectRefusedError) {
      throw new WebhookDeliveryError(url, error.message, { retryable: false });
    }
    const cause = error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
    throw new WebhookDeliveryError(url, cause, { retryable: true });
  }
  if (response.status < 200 || response.status >= 300) {
    throw new WebhookDeliveryError(url, `HTTP ${response.status}`, { status: response.status, retryable: true });
  }
}
