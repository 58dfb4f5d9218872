/** OpenAI chat-completions message shapes: the wire format the proxy compresses and gives back. */

export interface TextContentPart {
  type: "text";
  text: string;
}

export interface ImageContentPart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

export type ContentPart = TextContentPart | ImageContentPart;

export interface SystemMessage {
  role: "system";
  content: string | TextContentPart[];
  name?: string;
}

export interface UserMessage {
  role: "user";
  content: string | ContentPart[];
  name?: string;
}

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface AssistantMessage {
  role: "assistant";
  content?: string | TextContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
}

export interface ToolMessage {
  role: "tool";
  content: string | TextContentPart[];
  tool_call_id: string;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/**
 * Anything with a role. Messages typed by another SDK (the `openai` package's
 * `ChatCompletionMessageParam`, say) pass through with their own type kept.
 */
export interface MessageLike {
  role: string;
}

/** What a call does: `optimize` compresses, `audit` only measures, `simulate` plans without storing. */
export type CompressMode = "optimize" | "audit" | "simulate";

export interface CompressResult<M extends MessageLike = Message> {
  /** The messages to send to the model: compressed, or the originals when `fallback` is true. */
  messages: M[];
  tokensBefore: number;
  tokensAfter: number;
  tokensSaved: number;
  savingsPercent: number;
  transformsApplied: string[];
  /** Refs of everything dropped; `retrieve(ref)` gives it back while its TTL lasts. */
  refs: string[];
  compressionMs: number;
  /** What the proxy noted, such as why it left a message as it was (it fails open, never with a 500). */
  warnings: string[];
  /** True when the proxy could not serve the request and the original messages came back unchanged. */
  fallback: boolean;
  /** Why the fallback happened (the error's message); absent when the proxy answered. */
  fallbackReason?: string;
}

export interface RetrieveResult {
  ref: string;
  /** The original content, or only its parts matching the query. */
  content: string;
}
