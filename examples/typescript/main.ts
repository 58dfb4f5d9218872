/**
 * Compress an agent's conversation through the Headroom proxy, then send the
 * compressed messages to the model with the openai SDK.
 *
 *   HEADROOM_BASE_URL       the proxy (default http://localhost:8787)
 *   HEADROOM_PROXY_API_KEY  the proxy's key, when it was started with --api-key
 *   OPENAI_BASE_URL         any OpenAI-compatible server (the openai SDK reads it)
 *   OPENAI_API_KEY          its key
 *   OPENAI_MODEL            default gpt-4o-mini
 */
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { HeadroomClient } from "headroom-integrations";

const model = process.env.OPENAI_MODEL ?? "gpt-4o-mini";
const headroom = new HeadroomClient({
  baseUrl: process.env.HEADROOM_BASE_URL ?? "http://localhost:8787",
  apiKey: process.env.HEADROOM_PROXY_API_KEY,
});
const openai = new OpenAI();

// A tool returned 500 deployment records; one of them is the one the user asks about.
const deployments = Array.from({ length: 500 }, (_, i) => ({
  id: `dep-${i}`,
  service: ["api", "web", "worker", "billing"][i % 4],
  status: i === 311 ? "rolled_back" : "succeeded",
  duration_s: 40 + (i % 17),
}));

const messages: ChatCompletionMessageParam[] = [
  { role: "system", content: "You are a release engineer. Answer in one sentence." },
  { role: "user", content: "Which deployment was rolled back, and for which service?" },
  {
    role: "assistant",
    content: null,
    tool_calls: [{ id: "call_1", type: "function", function: { name: "list_deployments", arguments: "{}" } }],
  },
  { role: "tool", tool_call_id: "call_1", content: JSON.stringify(deployments) },
];

// The openai SDK's own message type goes in and comes back out.
const compressed = await headroom.compress(messages, { model });
if (compressed.fallback) {
  console.log(`proxy unavailable, sending the original messages (${compressed.fallbackReason})`);
} else {
  console.log(
    `tokens ${compressed.tokensBefore} -> ${compressed.tokensAfter} ` +
      `(${compressed.savingsPercent}% saved, ${compressed.transformsApplied.join(", ")})`,
  );
}

const completion = await openai.chat.completions.create({ model, messages: compressed.messages });
console.log(`model: ${completion.choices[0]?.message.content ?? ""}`);

// Nothing is lost: every record the proxy dropped comes back by its ref.
for (const ref of compressed.refs) {
  const match = await headroom.retrieve(ref, { query: "rolled_back" });
  console.log(`retrieve(${ref}, "rolled_back"): ${match.content}`);
}
