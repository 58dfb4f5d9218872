/**
 * Errors raised by the client. Every one is a `HeadroomError`, so a single
 * `catch (e) { if (e instanceof HeadroomError) ... }` covers the SDK.
 */

/** Base class of every error the SDK raises. */
export class HeadroomError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The proxy could not be reached (refused, reset, DNS) or did not answer within the timeout. */
export class HeadroomConnectionError extends HeadroomError {
  /** True when the request was aborted by the client's timeout rather than failing to connect. */
  readonly timedOut: boolean;

  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean }) {
    super(message, options);
    this.timedOut = options?.timedOut ?? false;
  }
}

/** The proxy answered with an error status: a bad request, an unknown ref, a server failure. */
export class HeadroomCompressError extends HeadroomError {
  /** The HTTP status the proxy answered with (0 when the answer itself was unreadable). */
  readonly statusCode: number;
  /** The proxy's `error.type` (for example `invalid_request`), or a client-side label. */
  readonly errorType: string;

  constructor(statusCode: number, errorType: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
    this.errorType = errorType;
  }
}

/** The proxy rejected the API key (HTTP 401): a misconfiguration, never retried nor hidden by fallback. */
export class HeadroomAuthError extends HeadroomCompressError {}

/**
 * The error class for a proxy error answer, so callers that talk to the proxy
 * by other means (their own fetch, a queue) classify failures the same way.
 */
export function mapProxyError(status: number, type: string | undefined, message: string | undefined): HeadroomError {
  const errorType = type ?? (status === 401 ? "authentication_error" : "http_error");
  const text = message ?? `proxy answered HTTP ${status}`;
  if (status === 401) {
    return new HeadroomAuthError(status, errorType, text);
  }
  return new HeadroomCompressError(status, errorType, text);
}
