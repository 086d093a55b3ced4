// Maps Alibaba Cloud SDK failures (ClientError, ServerError, ThrottlingError, transport errors) onto
// opsflow's typed cloud errors, by Alibaba error code first and HTTP status second.
import {
  CloudAuthError,
  CloudError,
  CloudNotFoundError,
  CloudRequestError,
  CloudResponseError,
  CloudThrottledError,
  CloudUnavailableError,
  CloudUnsupportedError,
  outboundRefusal,
  providerMessage,
} from '../../errors.ts';
import type { CloudErrorContext } from '../../errors.ts';

/** Used when Alibaba throttles without an x-acs-retry-after header. */
const defaultThrottleDelayMs = 1000;
const authCodePrefixes = ['InvalidAccessKeyId', 'InvalidAccessKeySecret', 'SignatureDoesNotMatch', 'IncompleteSignature', 'MissingSignature', 'InvalidSecurityToken', 'Forbidden', 'NoPermission', 'InvalidCredentials'];
const unsupportedCodes = new Set(['InvalidAction.NotFound', 'UnsupportedOperation', 'InvalidApi.NotFound']);
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

interface AlibabaSdkFailure {
  name?: string;
  code?: string;
  statusCode?: number;
  requestId?: string;
  retryAfter?: number;
  message?: string;
  data?: { Message?: string; message?: string };
}

export function toCloudError(error: unknown, context: Omit<CloudErrorContext, 'provider' | 'cause'>): CloudError {
  if (error instanceof CloudError) return error;
  const refused = outboundRefusal(error, { ...context, provider: 'aliyun', cause: error });
  if (refused) return refused;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as AlibabaSdkFailure;
  const code = failure.code ?? failure.name ?? 'Error';
  const status = failure.statusCode;
  const full: CloudErrorContext = {
    ...context,
    provider: 'aliyun',
    providerCode: code,
    requestId: failure.requestId && failure.requestId !== 'undefined' ? failure.requestId : undefined,
    cause: error,
  };
  // Only the Message of Alibaba's error answer is quoted: a transport error's text names the request URL, whose query
  // holds the AccessKey id and signature when signing v2, and anything else is described by its code.
  const message = providerMessage(failure.data?.Message ?? failure.data?.message ?? `no error message from Alibaba Cloud, ${code}`);

  if (authCodePrefixes.some((prefix) => code.startsWith(prefix)) || status === 401 || status === 403) {
    return new CloudAuthError(`Alibaba Cloud refused the credentials or their permissions (${message}); check the AccessKey pair and its RAM policy`, full);
  }
  if (code.includes('Throttling') || status === 429) {
    return new CloudThrottledError(`Alibaba Cloud throttled the request (${message})`, { ...full, retryAfterMs: failure.retryAfter ?? defaultThrottleDelayMs });
  }
  if (unsupportedCodes.has(code)) return new CloudUnsupportedError(`Alibaba Cloud does not offer this call here (${message})`, full);
  if (code.endsWith('NotFound')) return new CloudNotFoundError(`Alibaba Cloud reports it does not exist (${message})`, full);
  if (error instanceof SyntaxError || failure.name === 'SyntaxError') {
    return new CloudResponseError('Alibaba Cloud answered with something that is not the documented JSON; is the endpoint an Alibaba Cloud API?', { ...full, providerCode: undefined });
  }
  if ((status !== undefined && status >= 500) || networkCodes.has(code) || code === 'ServiceUnavailable' || /timeout/i.test(code)) {
    return new CloudUnavailableError(`Alibaba Cloud or the network failed (${message}); this usually passes`, full);
  }
  if (status !== undefined && status >= 400) return new CloudRequestError(`Alibaba Cloud rejected the request (${message})`, full);
  return new CloudUnavailableError(`the Alibaba Cloud call failed (${message})`, full);
}
