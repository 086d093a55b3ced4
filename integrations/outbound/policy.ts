// The outbound-call policy: every connection opsflow makes to an address a user configured (a CMDB base URL, a
// webhook, a cloud endpoint override; later SSH hosts, salt-api and replication agents) is checked here first.
// Cloud instance-metadata and link-local addresses are always refused; OPSFLOW_OUTBOUND_ALLOW / _DENY (CIDR lists)
// narrow the rest. HTTP calls go through `outboundFetch`, which checks the address the connection actually uses
// (a name is resolved by our own lookup, so a DNS answer cannot swap in a refused address between check and
// connect), refuses redirects, and bounds every call by a timeout.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { Readable } from 'node:stream';

/** Refused whatever the configuration says: instance metadata (AWS, GCP, Azure, Alibaba) and link-local ranges. */
export const ALWAYS_REFUSED = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128'] as const;

export class OutboundRefusedError extends Error {
  readonly address: string;
  constructor(target: string, address: string, why: string) {
    super(`outbound call to ${target} refused: ${address} ${why}`);
    this.name = 'OutboundRefusedError';
    this.address = address;
  }
}

export class OutboundRedirectRefusedError extends Error {
  readonly status: number;
  constructor(target: string, status: number) {
    super(`redirect refused: ${target} answered HTTP ${status}; opsflow does not follow redirects (configure the final address instead)`);
    this.name = 'OutboundRedirectRefusedError';
    this.status = status;
  }
}

export class OutboundTimeoutError extends Error {
  constructor(target: string, timeoutMs: number) {
    super(`no answer from ${target} within ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

export interface OutboundPolicySettings {
  /** CIDR ranges calls may go to; empty means every address not denied. */
  allow: readonly string[];
  /** CIDR ranges calls may never go to, on top of ALWAYS_REFUSED. */
  deny: readonly string[];
}

/** A CIDR such as `10.0.0.0/8` or `fd00::/8`; a bare address is a single host. Throws on anything else. */
export function parseCidr(text: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [network = '', prefixText] = text.trim().split('/');
  const version = isIP(network);
  if (version === 0) throw new Error(`"${text}" is not a CIDR range (e.g. 10.0.0.0/8 or fd00::/8)`);
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new Error(`"${text}" has a prefix length outside 0-${max}`);
  }
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const { network, prefix, family } = parseCidr(range);
    list.addSubnet(network, prefix, family);
  }
  return list;
}

/** `::ffff:169.254.169.254` is 169.254.169.254: an IPv4-mapped address is judged as the IPv4 address it carries. */
function canonical(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class OutboundPolicy {
  readonly #refused = blockListOf(ALWAYS_REFUSED);
  readonly #deny: BlockList;
  readonly #allow: BlockList | undefined;

  constructor(settings: OutboundPolicySettings) {
    this.#deny = blockListOf(settings.deny);
    this.#allow = settings.allow.length > 0 ? blockListOf(settings.allow) : undefined;
  }

  /** Why `address` (an IP) may not be dialled, or undefined when it may. */
  refusal(address: string): string | undefined {
    const { address: ip, family } = canonical(address);
    if (this.#refused.check(ip, family)) return 'is a cloud metadata or link-local address';
    if (this.#deny.check(ip, family)) return 'is in OPSFLOW_OUTBOUND_DENY';
    if (this.#allow && !this.#allow.check(ip, family)) return 'is not in OPSFLOW_OUTBOUND_ALLOW';
    return undefined;
  }

  /** Throws OutboundRefusedError unless every address `host` resolves to may be dialled. */
  async assertAllowed(host: string, target = host): Promise<void> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const addresses = isIP(bare) ? [bare] : (await resolveAll(bare)).map((entry) => entry.address);
    for (const address of addresses) {
      const why = this.refusal(address);
      if (why) throw new OutboundRefusedError(target, address, why);
    }
  }

  /** A `dns.lookup` replacement for sockets: resolves as usual, then fails the connection on a refused address. */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, entries) => {
      if (error) return callback(error, []);
      const refused = entries.map((entry) => ({ entry, why: this.refusal(entry.address) })).find((candidate) => candidate.why);
      if (refused) return callback(new OutboundRefusedError(hostname, refused.entry.address, refused.why!), []);
      if (options.all) return callback(null, entries);
      const [first] = entries;
      callback(null, first!.address, first!.family);
    });
  };
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true }, (error, entries) => (error ? reject(error) : resolve(entries))));
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Bound on the whole call, connect to last byte. Keep it below the caller's heartbeat timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * An HTTP(S) call under the policy, answering a standard `Response`. The address is checked before connecting (for
 * an IP literal) and by the socket's own lookup (for a name); a 3xx answer is refused, never followed, so headers
 * and bodies that carry secrets cannot be replayed to another host.
 */
export async function outboundFetch(policy: OutboundPolicy, url: string | URL, request: OutboundRequest): Promise<Response> {
  const target = new URL(url);
  const shown = `${target.protocol}//${target.host}`;
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new OutboundRefusedError(shown, target.protocol, 'is not http or https');
  await policy.assertAllowed(target.hostname, shown);

  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const message = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = send(target, { method: request.method ?? 'GET', headers: request.headers, lookup: policy.lookup, signal }, resolve);
    outgoing.once('error', (error) => reject(deadline.aborted && !request.signal?.aborted ? new OutboundTimeoutError(shown, request.timeoutMs) : unwrapRefusal(error)));
    outgoing.end(request.body);
  });
  const status = message.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    message.destroy();
    throw new OutboundRedirectRefusedError(shown, status);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const body = status === 204 || status === 304 ? null : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
  return new Response(body, { status, headers });
}

/** The socket reports a lookup failure wrapped; the caller should see the refusal itself. */
function unwrapRefusal(error: Error): Error {
  return error instanceof OutboundRefusedError ? error : ((error as { cause?: unknown }).cause instanceof OutboundRefusedError ? (error as { cause: Error }).cause : error);
}
