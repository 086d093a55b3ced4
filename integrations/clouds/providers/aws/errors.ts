// Maps AWS SDK v3 failures onto opsflow's typed cloud errors, by error code first and HTTP status second.
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

const authCodes = new Set([
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'OptInRequired',
]);
const throttleCodes = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
]);
const unsupportedCodes = new Set(['UnsupportedOperation', 'InvalidAction', 'UnknownOperationException', 'NotImplemented']);
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** Used when AWS throttles without saying for how long: long enough for a token bucket to refill a little. */
const defaultThrottleDelayMs = 2000;

interface AwsSdkFailure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
}

function retryAfterMs(headers: Record<string, string | undefined> | undefined): number {
  const header = headers?.['retry-after'];
  if (header === undefined) return defaultThrottleDelayMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? defaultThrottleDelayMs : Math.max(0, date - Date.now());
}

export function toCloudError(error: unknown, context: Omit<CloudErrorContext, 'provider' | 'cause'>): CloudError {
  if (error instanceof CloudError) return error;
  const refused = outboundRefusal(error, { ...context, provider: 'aws', cause: error });
  if (refused) return refused;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as AwsSdkFailure;
  const code = failure.name ?? 'Error';
  const status = failure.$metadata?.httpStatusCode;
  const full: CloudErrorContext = {
    ...context,
    provider: 'aws',
    providerCode: code === 'Error' ? failure.code : code,
    requestId: failure.$metadata?.requestId,
    cause: error,
  };
  // The SDK's message is the Message of AWS's error answer, or a transport error's text (AWS signs in headers, so
  // no credential is in the URL it may name).
  const message = providerMessage(failure.message ?? String(error));

  if (authCodes.has(code) || status === 401 || status === 403) {
    return new CloudAuthError(`AWS refused the credentials or their permissions (${message}); check the account's access key and its IAM policy`, full);
  }
  if (throttleCodes.has(code) || status === 429) {
    return new CloudThrottledError(`AWS throttled the request (${message})`, { ...full, retryAfterMs: retryAfterMs(failure.$response?.headers) });
  }
  if (unsupportedCodes.has(code)) return new CloudUnsupportedError(`AWS does not support this call here (${message})`, full);
  if (code.endsWith('NotFound') || code.endsWith('NotFoundFault') || code.endsWith('NotFoundException') || code === 'InvalidRegion') {
    return new CloudNotFoundError(`AWS reports it does not exist (${message})`, full);
  }
  if (message.includes('Deserialization error') || code === 'SyntaxError') {
    return new CloudResponseError('AWS answered with a response that is not the documented XML/JSON; is the endpoint an AWS API?', full);
  }
  if ((status !== undefined && status >= 500) || code === 'TimeoutError' || code === 'AbortError' || networkCodes.has(failure.code ?? '')) {
    return new CloudUnavailableError(`AWS or the network failed (${message}); this usually passes`, full);
  }
  if (status !== undefined && status >= 400) return new CloudRequestError(`AWS rejected the request (${message})`, full);
  return new CloudUnavailableError(`the AWS call failed (${message})`, full);
}
