import { HeadroomCompressError, HeadroomConnectionError, HeadroomError, mapProxyError } from "./errors.js";
import type { CompressMode, CompressResult, Message, MessageLike, RetrieveResult } from "./types.js";

export const DEFAULT_BASE_URL = "http://localhost:8787";
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 5_000;

export interface ClientOptions {
  /** Where the proxy listens (`headroom-integrations proxy --port 8787`). */
  baseUrl?: string | undefined;
  /** Sent as `Authorization: Bearer <key>` when the proxy was started with `--api-key`. */
  apiKey?: string | undefined;
  /** Milliseconds one attempt may take, answer body included. */
  timeout?: number | undefined;
  /**
   * When the proxy cannot serve a compress call (unreachable, timed out, a 5xx,
   * an unreadable answer), return the original messages with `fallback: true`
   * instead of throwing: the LLM call goes ahead uncompressed. Auth and request
   * errors always throw, because retrying them cannot help.
   */
  fallback?: boolean | undefined;
  /** Retries after the first attempt, on connection errors and 5xx answers only. */
  retries?: number | undefined;
  /** Milliseconds before the first retry; doubled for each further one (capped at 5 s). */
  retryDelay?: number | undefined;
}

export interface CompressOptions {
  /** The model the messages are for: it decides the tokenizer and the context limit. */
  model: string;
  /** Fit the conversation into this many tokens. */
  tokenBudget?: number | undefined;
  /** What the next model call is about; relevance scoring keeps what matches it. */
  query?: string | undefined;
  mode?: CompressMode | undefined;
  /** Engine settings for this call (the proxy validates them). */
  config?: Record<string, unknown> | undefined;
  /** Cancels the call; its reason is thrown as is, never hidden by fallback. */
  signal?: AbortSignal | undefined;
}

export interface RetrieveOptions {
  /** Only the parts of the original that match this query. */
  query?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A client for one proxy; reuse it across calls. */
export class HeadroomClient {
  readonly baseUrl: string;
  readonly timeout: number;
  readonly fallback: boolean;
  readonly retries: number;
  readonly retryDelay: number;
  readonly #apiKey: string | undefined;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = checkedBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL);
    this.timeout = checkedNumber("timeout", options.timeout ?? DEFAULT_TIMEOUT_MS, 1);
    this.fallback = options.fallback ?? true;
    this.retries = Math.floor(checkedNumber("retries", options.retries ?? DEFAULT_RETRIES, 0));
    this.retryDelay = checkedNumber("retryDelay", options.retryDelay ?? DEFAULT_RETRY_DELAY_MS, 0);
    this.#apiKey = options.apiKey;
  }

  /** Compress a conversation through the proxy's `POST /v1/compress`. */
  async compress<M extends MessageLike = Message>(
    messages: readonly M[],
    options: CompressOptions,
  ): Promise<CompressResult<M>> {
    if (!Array.isArray(messages)) {
      throw new TypeError("compress: messages must be an array of chat messages");
    }
    if (typeof options?.model !== "string" || options.model === "") {
      throw new TypeError("compress: options.model must be a non-empty string");
    }
    const body = {
      messages,
      model: options.model,
      token_budget: options.tokenBudget,
      query: options.query,
      mode: options.mode,
      config: options.config,
    };
    try {
      return compressResult<M>(await this.#send("POST", "/v1/compress", body, options.signal));
    } catch (error) {
      if (this.fallback && isProxyFailure(error) && !options.signal?.aborted) {
        return fallbackResult(messages, error);
      }
      throw error;
    }
  }

  /** Get back what compression dropped, by the ref it left (`POST /v1/retrieve`). */
  async retrieve(ref: string, options: RetrieveOptions = {}): Promise<RetrieveResult> {
    if (typeof ref !== "string" || ref === "") {
      throw new TypeError("retrieve: ref must be a non-empty string");
    }
    const data = await this.#send("POST", "/v1/retrieve", { ref, query: options.query }, options.signal);
    return retrieveResult(data);
  }

  /** The proxy's `GET /health` answer; throws when it is not reachable or not healthy. */
  async health(options: { signal?: AbortSignal | undefined } = {}): Promise<Record<string, unknown>> {
    return await this.#send("GET", "/health", undefined, options.signal);
  }

  async #send(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#attempt(method, path, body, signal);
      } catch (error) {
        if (attempt >= this.retries || !isRetryable(error) || signal?.aborted) {
          throw error;
        }
        await sleep(Math.min(this.retryDelay * 2 ** attempt, MAX_RETRY_DELAY_MS), signal);
      }
    }
  }

  async #attempt(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    signal?.throwIfAborted();
    const url = this.baseUrl + path;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeout);
    const cancel = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", cancel, { once: true });
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
    }
    if (this.#apiKey !== undefined) {
      headers.authorization = `Bearer ${this.#apiKey}`;
    }
    try {
      const init: RequestInit = { method, headers, signal: controller.signal };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
      }
      const response = await fetch(url, init);
      return parseAnswer(response.status, await response.text());
    } catch (error) {
      if (error instanceof HeadroomError) {
        throw error;
      }
      if (signal?.aborted) {
        throw signal.reason;
      }
      if (timedOut) {
        throw new HeadroomConnectionError(`no answer from ${url} within ${this.timeout} ms`, {
          cause: error,
          timedOut: true,
        });
      }
      throw new HeadroomConnectionError(`cannot reach the Headroom proxy at ${url}: ${describe(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
    }
  }
}

function parseAnswer(status: number, text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (status >= 200 && status < 300) {
    if (isRecord(data)) {
      return data;
    }
    throw invalidAnswer(status, "a body that is not a JSON object");
  }
  const detail = isRecord(data) && isRecord(data.error) ? data.error : {};
  const type = typeof detail.type === "string" ? detail.type : undefined;
  const message =
    typeof detail.message === "string" ? detail.message : `proxy answered HTTP ${status}: ${text.slice(0, 200)}`;
  throw mapProxyError(status, type, message);
}

function compressResult<M extends MessageLike>(data: Record<string, unknown>): CompressResult<M> {
  const { messages, refs, transforms_applied: transforms, warnings = [] } = data;
  if (!Array.isArray(messages) || !isStringArray(refs) || !isStringArray(transforms) || !isStringArray(warnings)) {
    throw invalidAnswer(200, "a compress answer whose messages, refs, transforms_applied or warnings are malformed");
  }
  return {
    messages: messages as M[],
    tokensBefore: numberField(data, "tokens_before"),
    tokensAfter: numberField(data, "tokens_after"),
    tokensSaved: numberField(data, "tokens_saved"),
    savingsPercent: numberField(data, "savings_percent"),
    transformsApplied: transforms,
    refs,
    compressionMs: numberField(data, "compression_ms"),
    warnings,
    fallback: false,
  };
}

function retrieveResult(data: Record<string, unknown>): RetrieveResult {
  const { ref, content } = data;
  if (typeof ref !== "string" || typeof content !== "string") {
    throw invalidAnswer(200, "a retrieve answer without ref and content");
  }
  return { ref, content };
}

function fallbackResult<M extends MessageLike>(messages: readonly M[], error: unknown): CompressResult<M> {
  return {
    messages: messages.slice(),
    tokensBefore: 0,
    tokensAfter: 0,
    tokensSaved: 0,
    savingsPercent: 0,
    transformsApplied: [],
    refs: [],
    compressionMs: 0,
    warnings: [],
    fallback: true,
    fallbackReason: error instanceof Error ? error.message : String(error),
  };
}

/** Failures of the proxy itself, which the caller can neither fix nor should be blocked by. */
function isProxyFailure(error: unknown): boolean {
  return isRetryable(error) || (error instanceof HeadroomCompressError && error.errorType === "invalid_response");
}

function isRetryable(error: unknown): boolean {
  return (
    error instanceof HeadroomConnectionError || (error instanceof HeadroomCompressError && error.statusCode >= 500)
  );
}

function invalidAnswer(status: number, what: string): HeadroomCompressError {
  return new HeadroomCompressError(status, "invalid_response", `proxy answered HTTP ${status} with ${what}`);
}

function numberField(data: Record<string, unknown>, key: string): number {
  const value = data[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalidAnswer(200, `a compress answer whose ${key} is not a number`);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  // Node's fetch reports "fetch failed"; the socket error (ECONNREFUSED ...) is its cause.
  const cause = error.cause;
  return cause instanceof Error && cause.message ? `${error.message} (${cause.message})` : error.message;
}

function checkedBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, "");
}

function checkedNumber(name: string, value: number, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", stop, { once: true });
  });
}
