// Create/patch-time check of an address a user configures (a CMDB base URL, a webhook URL, a cloud endpoint) against
// the outbound policy, so a refused address is a 422 naming its field instead of a failure found later in a status.
import { OutboundRefusedError, type OutboundPolicy } from '../integrations/outbound/policy.ts';
import type { InputIssue } from './errors.ts';

/**
 * Adds an issue at `path` when the policy refuses the address's host. A name that does not resolve now is accepted:
 * it may exist where the workers run, and every call checks the address it connects to anyway.
 */
export async function checkOutboundAddress(outbound: OutboundPolicy, path: string, address: string, issues: InputIssue[]): Promise<void> {
  // A cloud endpoint may be given as host:port; the scheme does not change which host is dialled.
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `https://${address}`);
  } catch {
    issues.push({ path, message: 'is not a URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push({ path, message: `must be an http or https URL, not ${url.protocol}` });
    return;
  }
  try {
    await outbound.assertAllowed(url.hostname, `${url.protocol}//${url.host}`);
  } catch (error) {
    if (error instanceof OutboundRefusedError) issues.push({ path, message: `is refused by the outbound policy: ${error.message}` });
  }
}
