/** The CommonJS build: `require("headroom-integrations")` gives the same API as the ESM import. */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, it } from "node:test";

import * as esm from "headroom-integrations";

import { json, startStub } from "./support/stub.js";

const require = createRequire(import.meta.url);
const cjs = require("headroom-integrations") as typeof esm;
const stub = await startStub(
  json(200, {
    messages: [{ role: "user", content: "hi" }],
    tokens_before: 3,
    tokens_after: 3,
    tokens_saved: 0,
    savings_percent: 0,
    transforms_applied: [],
    refs: [],
    compression_ms: 0.1,
  }),
  json(401, { type: "error", error: { type: "authentication_error", message: "invalid API key" } }),
);
after(() => stub.close());

it("exports the same names as the ESM build, from separate files", () => {
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.notEqual(cjs.HeadroomClient, esm.HeadroomClient);
  assert.match(require.resolve("headroom-integrations"), /dist[\\/]cjs[\\/]index\.js$/);
});

it("compresses and raises its own error classes", async () => {
  const result = await cjs.compress([{ role: "user", content: "hi" }], { model: "gpt-4o", baseUrl: stub.url });
  assert.equal(result.fallback, false);
  assert.equal(result.tokensBefore, 3);
  const error = await cjs.compress([], { model: "gpt-4o", baseUrl: stub.url }).catch((e: unknown) => e);
  assert.ok(error instanceof cjs.HeadroomAuthError);
  assert.ok(error instanceof cjs.HeadroomError);
});
