/**
 * headroom-integrations for TypeScript: compress a chat conversation through
 * the Headroom proxy before it reaches the model, and get dropped content back
 * by its ref.
 */
import { type ClientOptions, type CompressOptions, HeadroomClient, type RetrieveOptions } from "./client.js";
import type { CompressResult, Message, MessageLike, RetrieveResult } from "./types.js";

export { DEFAULT_BASE_URL, HeadroomClient } from "./client.js";
export type { ClientOptions, CompressOptions, RetrieveOptions } from "./client.js";
export {
  HeadroomAuthError,
  HeadroomCompressError,
  HeadroomConnectionError,
  HeadroomError,
  mapProxyError,
} from "./errors.js";
export type {
  AssistantMessage,
  CompressMode,
  CompressResult,
  ContentPart,
  ImageContentPart,
  Message,
  MessageLike,
  RetrieveResult,
  SystemMessage,
  TextContentPart,
  ToolCall,
  ToolMessage,
  UserMessage,
} from "./types.js";

/** Connection settings of the one-call helpers; `retry: false` is `retries: 0`. */
export interface CallOptions extends Omit<ClientOptions, "retries"> {
  retry?: boolean | undefined;
  maxRetries?: number | undefined;
}

/** One-call `HeadroomClient.compress`; fallback is on unless `fallback: false`. */
export function compress<M extends MessageLike = Message>(
  messages: readonly M[],
  options: CompressOptions & CallOptions,
): Promise<CompressResult<M>> {
  return clientFor(options).compress(messages, options);
}

/** One-call `HeadroomClient.retrieve`. */
export function retrieve(ref: string, options: RetrieveOptions & CallOptions = {}): Promise<RetrieveResult> {
  return clientFor(options).retrieve(ref, options);
}

function clientFor(options: CallOptions): HeadroomClient {
  return new HeadroomClient({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeout: options.timeout,
    fallback: options.fallback,
    retries: options.retry === false ? 0 : options.maxRetries,
    retryDelay: options.retryDelay,
  });
}
