/** The client against a scripted loopback server: wire format, errors, timeouts, retries, fallback. */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import {
  type CompressResult,
  compress,
  HeadroomAuthError,
  HeadroomClient,
  HeadroomCompressError,
  HeadroomConnectionError,
  HeadroomError,
  type Message,
  mapProxyError,
  retrieve,
} from "headroom-integrations";

import { type Handler, hang, json, proxyError, type Stub, startStub, unusedPort } from "./support/stub.js";

const MESSAGES: Message[] = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Which orders failed?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "call_1", type: "function", function: { name: "orders", arguments: "{}" } }],
  },
  { role: "tool", tool_call_id: "call_1", content: JSON.stringify([{ id: 1, status: "failed" }]) },
];

const COMPRESSED = [MESSAGES[0], MESSAGES[1], MESSAGES[2], { role: "tool", tool_call_id: "call_1", content: "[1 item]" }];

const ANSWER = {
  messages: COMPRESSED,
  tokens_before: 120,
  tokens_after: 45,
  tokens_saved: 75,
  savings_percent: 62.5,
  transforms_applied: ["smart_crusher"],
  refs: ["ref_abc"],
  compression_ms: 1.5,
};

const ok: Handler = json(200, ANSWER);
const unavailable: Handler = proxyError(503, "overloaded", "try again");

let stub: Stub | undefined;

async function serve(...handlers: Handler[]): Promise<Stub> {
  stub = await startStub(...handlers);
  return stub;
}

afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe("compress", () => {
  it("posts the OpenAI messages in the proxy's snake_case body and maps the answer to camelCase", async () => {
    const { url, received } = await serve(ok);
    const result: CompressResult = await compress(MESSAGES, {
      model: "gpt-4o",
      baseUrl: url,
      tokenBudget: 1000,
      query: "failed orders",
      apiKey: "k-123",
    });

    assert.equal(received.length, 1);
    const [request] = received;
    assert.equal(request?.method, "POST");
    assert.equal(request?.path, "/v1/compress");
    assert.equal(request?.headers.authorization, "Bearer k-123");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request?.body ?? ""), {
      messages: MESSAGES,
      model: "gpt-4o",
      token_budget: 1000,
      query: "failed orders",
    });
    assert.deepEqual(result, {
      messages: COMPRESSED,
      tokensBefore: 120,
      tokensAfter: 45,
      tokensSaved: 75,
      savingsPercent: 62.5,
      transformsApplied: ["smart_crusher"],
      refs: ["ref_abc"],
      compressionMs: 1.5,
      warnings: [],
      fallback: false,
    });
  });

  it("passes the proxy's warnings on", async () => {
    const { url } = await serve(json(200, { ...ANSWER, warnings: ["message 3 left as is: unreadable content"] }));
    const result = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url });
    assert.deepEqual(result.warnings, ["message 3 left as is: unreadable content"]);
  });

  it("sends no Authorization header without an API key, and mode and config when given", async () => {
    const { url, received } = await serve(ok);
    await compress(MESSAGES, { model: "gpt-4o", baseUrl: `${url}/`, mode: "audit", config: { ccr: { ttl: 60 } } });
    assert.equal(received[0]?.headers.authorization, undefined);
    assert.equal(received[0]?.path, "/v1/compress");
    const body = JSON.parse(received[0]?.body ?? "");
    assert.equal(body.mode, "audit");
    assert.deepEqual(body.config, { ccr: { ttl: 60 } });
  });

  it("rejects missing arguments before any request", async () => {
    const { url, received } = await serve(ok);
    await assert.rejects(compress(MESSAGES, { model: "", baseUrl: url }), TypeError);
    await assert.rejects(compress("hi" as unknown as Message[], { model: "gpt-4o", baseUrl: url }), TypeError);
    assert.throws(() => new HeadroomClient({ baseUrl: "localhost:8787" }), TypeError);
    assert.throws(() => new HeadroomClient({ timeout: 0 }), RangeError);
    assert.throws(() => new HeadroomClient({ retries: -1 }), RangeError);
    assert.equal(received.length, 0);
  });
});

describe("errors", () => {
  it("a 401 raises HeadroomAuthError with the proxy's type, even with fallback on, and is not retried", async () => {
    const { url, received } = await serve(proxyError(401, "authentication_error", "invalid API key"));
    const client = new HeadroomClient({ baseUrl: url, apiKey: "wrong", fallback: true, retryDelay: 1 });
    const error = await client.compress(MESSAGES, { model: "gpt-4o" }).catch((e: unknown) => e);
    assert.ok(error instanceof HeadroomAuthError);
    assert.ok(error instanceof HeadroomError);
    assert.equal(error.statusCode, 401);
    assert.equal(error.errorType, "authentication_error");
    assert.equal(error.message, "invalid API key");
    assert.equal(error.name, "HeadroomAuthError");
    assert.equal(received.length, 1);
  });

  it("a 400 raises HeadroomCompressError with statusCode and errorType, not retried, no fallback", async () => {
    const { url, received } = await serve(proxyError(400, "invalid_request", "model must be a string"));
    const error = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url, retryDelay: 1 }).catch((e: unknown) => e);
    assert.ok(error instanceof HeadroomCompressError);
    assert.ok(!(error instanceof HeadroomAuthError));
    assert.equal(error.statusCode, 400);
    assert.equal(error.errorType, "invalid_request");
    assert.equal(error.message, "model must be a string");
    assert.equal(received.length, 1);
  });

  it("a 413 keeps the proxy's error type", async () => {
    const { url } = await serve(proxyError(413, "request_too_large", "request body exceeds 10 bytes"));
    await assert.rejects(compress(MESSAGES, { model: "gpt-4o", baseUrl: url }), {
      name: "HeadroomCompressError",
      statusCode: 413,
      errorType: "request_too_large",
    });
  });

  it("an error answer that is not JSON still says what came back", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("no such route");
    });
    await assert.rejects(compress(MESSAGES, { model: "gpt-4o", baseUrl: url }), {
      statusCode: 404,
      errorType: "http_error",
      message: "proxy answered HTTP 404: no such route",
    });
  });

  it("mapProxyError picks the class from the status", () => {
    const auth = mapProxyError(401, "authentication_error", "missing API key");
    assert.ok(auth instanceof HeadroomAuthError);
    assert.equal(auth.message, "missing API key");
    const bad = mapProxyError(400, "invalid_json", "not JSON");
    assert.ok(bad instanceof HeadroomCompressError && !(bad instanceof HeadroomAuthError));
    assert.equal(bad.errorType, "invalid_json");
    const bare = mapProxyError(500, undefined, undefined);
    assert.ok(bare instanceof HeadroomCompressError);
    assert.equal(bare.statusCode, 500);
    assert.equal(bare.errorType, "http_error");
    assert.equal(bare.message, "proxy answered HTTP 500");
  });
});

describe("retries", () => {
  it("retries 5xx answers with doubling backoff, then returns the answer", async () => {
    const { url, received } = await serve(unavailable, unavailable, ok);
    const result = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url, retryDelay: 40, fallback: false });
    assert.equal(result.fallback, false);
    assert.equal(result.tokensSaved, 75);
    assert.equal(received.length, 3);
    const [first, second, third] = received.map((request) => request.at);
    assert.ok(second! - first! >= 35, `first retry after ${second! - first!} ms`);
    assert.ok(third! - second! >= 75, `second retry after ${third! - second!} ms`);
  });

  it("gives up after maxRetries and raises the last 5xx when fallback is off", async () => {
    const { url, received } = await serve(unavailable);
    await assert.rejects(
      compress(MESSAGES, { model: "gpt-4o", baseUrl: url, maxRetries: 3, retryDelay: 1, fallback: false }),
      { name: "HeadroomCompressError", statusCode: 503, errorType: "overloaded" },
    );
    assert.equal(received.length, 4);
  });

  it("retry: false makes one attempt", async () => {
    const { url, received } = await serve(unavailable, ok);
    await assert.rejects(compress(MESSAGES, { model: "gpt-4o", baseUrl: url, retry: false, fallback: false }), {
      statusCode: 503,
    });
    assert.equal(received.length, 1);
  });

  it("retries a timed-out attempt", async () => {
    const { url, received } = await serve(hang, ok);
    const client = new HeadroomClient({ baseUrl: url, timeout: 100, retries: 1, retryDelay: 1, fallback: false });
    const result = await client.compress(MESSAGES, { model: "gpt-4o" });
    assert.deepEqual(result.refs, ["ref_abc"]);
    assert.equal(received.length, 2);
  });
});

describe("timeouts and an unreachable proxy", () => {
  it("a proxy that does not answer within the timeout raises HeadroomConnectionError(timedOut)", async () => {
    const { url } = await serve(hang);
    const started = performance.now();
    const error = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url, timeout: 150, retry: false, fallback: false })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof HeadroomConnectionError);
    assert.equal(error.timedOut, true);
    assert.match(error.message, /within 150 ms/);
    assert.ok(elapsed >= 140 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it("a refused connection raises HeadroomConnectionError after the retries", async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const client = new HeadroomClient({ baseUrl: url, fallback: false, retries: 2, retryDelay: 1 });
    const error = await client.compress(MESSAGES, { model: "gpt-4o" }).catch((e: unknown) => e);
    assert.ok(error instanceof HeadroomConnectionError);
    assert.equal(error.timedOut, false);
    assert.match(error.message, /cannot reach the Headroom proxy/);
    assert.match(error.message, /ECONNREFUSED/);
  });

  it("fallback returns the original messages unchanged, flagged, when the proxy is unreachable", async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const result = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url, retryDelay: 1 });
    assert.equal(result.fallback, true);
    assert.deepEqual(result.messages, MESSAGES);
    assert.notEqual(result.messages, MESSAGES);
    assert.equal(result.tokensSaved, 0);
    assert.deepEqual(result.refs, []);
    assert.match(result.fallbackReason ?? "", /ECONNREFUSED/);
  });

  it("fallback covers a hung proxy and persistent 5xx answers too", async () => {
    const hung = await serve(hang);
    const timedOut = await compress(MESSAGES, { model: "gpt-4o", baseUrl: hung.url, timeout: 80, retry: false });
    assert.equal(timedOut.fallback, true);
    await hung.close();

    const failing = await serve(unavailable);
    const result = await new HeadroomClient({ baseUrl: failing.url, retries: 1, retryDelay: 1 }).compress(MESSAGES, {
      model: "gpt-4o",
    });
    assert.equal(result.fallback, true);
    assert.deepEqual(result.messages, MESSAGES);
    assert.equal(result.fallbackReason, "try again");
    assert.equal(failing.received.length, 2);
  });

  it("an answer that is not a compress result falls back, or raises invalid_response without fallback", async () => {
    const { url } = await serve(json(200, { messages: "oops" }));
    const result = await compress(MESSAGES, { model: "gpt-4o", baseUrl: url });
    assert.equal(result.fallback, true);
    await assert.rejects(compress(MESSAGES, { model: "gpt-4o", baseUrl: url, fallback: false }), {
      name: "HeadroomCompressError",
      errorType: "invalid_response",
    });
  });

  it("an aborted call throws the caller's reason, never a fallback", async () => {
    const { url } = await serve(hang);
    const controller = new AbortController();
    const pending = compress(MESSAGES, { model: "gpt-4o", baseUrl: url, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("user cancelled")), 30);
    await assert.rejects(pending, { message: "user cancelled" });
  });
});

describe("retrieve and health", () => {
  it("posts the ref and query and returns the content", async () => {
    const { url, received } = await serve(json(200, { ref: "ref_abc", content: "[{\"id\": 1}]" }));
    const result = await retrieve("ref_abc", { baseUrl: url, query: "id 1", apiKey: "k" });
    assert.deepEqual(result, { ref: "ref_abc", content: "[{\"id\": 1}]" });
    assert.equal(received[0]?.path, "/v1/retrieve");
    assert.equal(received[0]?.headers.authorization, "Bearer k");
    assert.deepEqual(JSON.parse(received[0]?.body ?? ""), { ref: "ref_abc", query: "id 1" });
  });

  it("an unknown ref raises with the proxy's error type (retrieve never falls back)", async () => {
    const { url } = await serve(proxyError(404, "ref_not_found", "no entry for ref_x"));
    await assert.rejects(new HeadroomClient({ baseUrl: url }).retrieve("ref_x"), {
      statusCode: 404,
      errorType: "ref_not_found",
    });
  });

  it("health returns the proxy's status object", async () => {
    const { url, received } = await serve(json(200, { status: "ok" }));
    assert.deepEqual(await new HeadroomClient({ baseUrl: url }).health(), { status: "ok" });
    assert.equal(received[0]?.method, "GET");
    assert.equal(received[0]?.path, "/health");
    assert.equal(received[0]?.body, "");
  });
});
