/** The SDK against the real proxy (`headroom-integrations proxy` from the Python package) on a loopback port. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  HeadroomAuthError,
  HeadroomClient,
  HeadroomCompressError,
  type Message,
  compress,
  retrieve,
} from "headroom-integrations";

import { proxyUnavailable, type RunningProxy, startProxy } from "./support/proxy.js";

const API_KEY = "sdk-test-key";
const MAX_BODY_BYTES = 1_000_000;
const skip = proxyUnavailable();
if (skip !== undefined) {
  console.log(`# skipping the real-proxy tests: ${skip}`);
}

const RECORDS = Array.from({ length: 300 }, (_, id) => ({
  id,
  sku: `SKU-${String(id).padStart(4, "0")}`,
  status: id === 137 ? "failed" : "shipped",
  warehouse: ["north", "south", "east"][id % 3],
  note: "routine delivery, no issues reported",
}));

const CONVERSATION: Message[] = [
  { role: "system", content: "You are an operations assistant." },
  { role: "user", content: "Which order failed?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "call_1", type: "function", function: { name: "list_orders", arguments: "{}" } }],
  },
  { role: "tool", tool_call_id: "call_1", content: JSON.stringify(RECORDS) },
];

describe("against the real proxy", { skip }, () => {
  let proxy: RunningProxy;
  let client: HeadroomClient;

  before(async () => {
    proxy = await startProxy({ apiKey: API_KEY, maxBodyBytes: MAX_BODY_BYTES });
    client = new HeadroomClient({ baseUrl: proxy.url, apiKey: API_KEY, fallback: false });
  });

  after(async () => {
    await proxy?.stop();
  });

  it("health answers ok", async () => {
    const health = await client.health();
    assert.equal(health.status, "ok");
  });

  it("compresses a large tool output, keeps the needle, and every dropped record is retrievable", async () => {
    const result = await compress(CONVERSATION, { model: "gpt-4o", baseUrl: proxy.url, apiKey: API_KEY });
    assert.equal(result.fallback, false);
    assert.ok(result.tokensBefore > 5_000, `tokensBefore ${result.tokensBefore}`);
    assert.ok(result.tokensAfter < result.tokensBefore / 4, `tokensAfter ${result.tokensAfter}`);
    assert.equal(result.tokensSaved, result.tokensBefore - result.tokensAfter);
    assert.ok(result.savingsPercent > 75);
    assert.ok(result.transformsApplied.length > 0);
    assert.equal(result.refs.length, 1);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(
      result.messages.map((message) => message.role),
      ["system", "user", "assistant", "tool"],
    );
    const tool = result.messages[3];
    assert.ok(tool?.role === "tool" && typeof tool.content === "string");
    assert.match(tool.content, /SKU-0137/);
    assert.ok(tool.content.length < JSON.stringify(RECORDS).length / 4);

    const ref = result.refs[0] ?? "";
    const original = await retrieve(ref, { baseUrl: proxy.url, apiKey: API_KEY });
    assert.equal(original.ref, ref);
    assert.deepEqual(JSON.parse(original.content), RECORDS);

    const matching = await client.retrieve(ref, { query: "SKU-0137" });
    assert.deepEqual(JSON.parse(matching.content), [RECORDS[137]]);
  });

  it("the same input compresses to the same output", async () => {
    const first = await client.compress(CONVERSATION, { model: "gpt-4o" });
    const second = await client.compress(CONVERSATION, { model: "gpt-4o" });
    assert.deepEqual(second.messages, first.messages);
    assert.deepEqual(second.refs, first.refs);
  });

  it("audit mode measures without changing the messages", async () => {
    const result = await client.compress(CONVERSATION, { model: "gpt-4o", mode: "audit" });
    assert.deepEqual(result.messages, CONVERSATION);
    assert.ok(result.tokensBefore > 5_000);
  });

  it("a token budget is sent and honoured", async () => {
    const history: Message[] = [{ role: "system", content: "You are helpful." }];
    for (let turn = 0; turn < 40; turn += 1) {
      history.push({ role: "user", content: `Question ${turn}: ${"tell me more about the shipment schedule ".repeat(8)}` });
      history.push({ role: "assistant", content: `Answer ${turn}: ${"the shipment leaves on schedule ".repeat(8)}` });
    }
    const unbounded = await client.compress(history, { model: "gpt-4o" });
    const bounded = await client.compress(history, { model: "gpt-4o", tokenBudget: 800 });
    assert.ok(unbounded.tokensAfter > 800, `unbounded ${unbounded.tokensAfter}`);
    assert.ok(bounded.tokensAfter <= 800, `bounded ${bounded.tokensAfter}`);
  });

  it("content it cannot compress comes back as it was, never as an error", async () => {
    const odd = [{ role: "tool", tool_call_id: "call_9", content: 42 }, { role: "user" }];
    const result = await client.compress(odd, { model: "gpt-4o" });
    assert.equal(result.fallback, false);
    assert.deepEqual(result.messages, odd);
    assert.equal(result.tokensSaved, 0);
  });

  it("a wrong or missing API key raises HeadroomAuthError, even with fallback on", async () => {
    for (const apiKey of ["wrong-key", undefined]) {
      const error = await compress(CONVERSATION, { model: "gpt-4o", baseUrl: proxy.url, apiKey }).catch((e: unknown) => e);
      assert.ok(error instanceof HeadroomAuthError, `apiKey ${apiKey}: ${String(error)}`);
      assert.equal(error.statusCode, 401);
      assert.equal(error.errorType, "authentication_error");
    }
  });

  it("an unknown ref and a bad config raise HeadroomCompressError with the proxy's error type", async () => {
    await assert.rejects(client.retrieve("no-such-ref"), { statusCode: 404, errorType: "ref_not_found" });
    const error = await client
      .compress(CONVERSATION, { model: "gpt-4o", config: { no_such_setting: 1 } })
      .catch((e: unknown) => e);
    assert.ok(error instanceof HeadroomCompressError);
    assert.equal(error.statusCode, 400);
    assert.equal(error.errorType, "configuration_error");
  });

  it("a request over the size limit raises a 413 with error type request_too_large", async () => {
    const huge: Message[] = [{ role: "user", content: "x".repeat(MAX_BODY_BYTES + 1) }];
    await assert.rejects(client.compress(huge, { model: "gpt-4o" }), {
      name: "HeadroomCompressError",
      statusCode: 413,
      errorType: "request_too_large",
    });
  });

  it("once the proxy is gone, fallback hands back the original messages", async () => {
    await proxy.stop();
    const result = await compress(CONVERSATION, {
      model: "gpt-4o",
      baseUrl: proxy.url,
      apiKey: API_KEY,
      retryDelay: 1,
    });
    assert.equal(result.fallback, true);
    assert.deepEqual(result.messages, CONVERSATION);
    assert.match(result.fallbackReason ?? "", /ECONNREFUSED/);
  });
});
