// Webhook delivery of replayed CMDB events: a JSON POST signed with HMAC-SHA256 over the exact body, so the
// receiver can verify it came from opsflow (`X-Opsflow-Signature: sha256=<hex>`). Knows nothing of Temporal.
import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** The receiver did not take the event: an HTTP status outside 2xx, a transport failure or a timeout. */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
  readonly status: number | undefined;
  constructor(url: string, reason: string, status?: number) {
    super(`webhook ${redactUrl(url)} did not accept the event: ${reason}`);
    this.status = status;
  }
}

/** Userinfo in a URL is a credential: never echo it into an error or a log. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * POSTs one signed event. `signal` ends the call early (the caller was cancelled): it rejects with the signal's
 * reason, not a WebhookDeliveryError, because the receiver did not refuse anything.
 */
export async function deliverWebhook(url: string, secret: string, event: WebhookEventBody, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const body = JSON.stringify(event);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookBody(secret, body),
        [EVENT_ID_HEADER]: event.eventId,
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal ? [options.signal] : [])]),
    });
    await response.arrayBuffer();
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const cause = error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? error.message) : String(error);
    throw new WebhookDeliveryError(url, cause);
  }
  if (response.status < 200 || response.status >= 300) throw new WebhookDeliveryError(url, `HTTP ${response.status}`, response.status);
}
