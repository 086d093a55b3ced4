// The one check of a URL opsflow will call (a CMDB, a webhook receiver, a cloud endpoint override): absolute,
// http or https. Shared by every schema that takes one, so they all accept and refuse the same strings.
import { z } from 'zod';

export const httpUrlMessage = 'must be an http:// or https:// URL';

export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

export const httpUrlSchema = z.string().refine(isHttpUrl, httpUrlMessage);
