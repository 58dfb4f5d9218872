/**
 * The real proxy from the Python package, started as a subprocess on a free
 * loopback port. Python comes from HEADROOM_PYTHON (default: the repository's
 * .venv); the tests skip, saying why, when its `proxy` extra is not importable.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { unusedPort } from "./stub.js";

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PYTHON = process.env.HEADROOM_PYTHON ?? resolve(PACKAGE_ROOT, "../../.venv/bin/python");
const STARTUP_MS = 60_000;

/**
 * Why the real-proxy tests cannot run here (the `proxy` extra is not installed),
 * or undefined when they can. A missing Python or package is a broken setup: it throws.
 */
export function proxyUnavailable(): string | undefined {
  const python = (code: string) => spawnSync(PYTHON, ["-c", code], { encoding: "utf8" });
  const base = python("import headroom_integrations");
  if (base.error !== undefined || base.status !== 0) {
    const why = base.error?.message ?? lastLine(base.stderr);
    throw new Error(`HEADROOM_PYTHON=${PYTHON} cannot import headroom_integrations (${why}); point it at the repo's .venv`);
  }
  const extra = python("import headroom_integrations.proxy");
  if (extra.status !== 0) {
    return `headroom_integrations.proxy is not importable with ${PYTHON} (${lastLine(extra.stderr)}); install headroom-integrations[proxy]`;
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

export interface RunningProxy {
  url: string;
  stop(): Promise<void>;
}

/** Start `headroom-integrations proxy` with its SQLite store in a temp dir, and wait for /health. */
export async function startProxy(options: { apiKey?: string; maxBodyBytes?: number } = {}): Promise<RunningProxy> {
  const port = await unusedPort();
  const workdir = mkdtempSync(join(tmpdir(), "headroom-ts-"));
  const store = `sqlite:///${join(workdir, "headroom.db")}`;
  const args = ["-m", "headroom_integrations.cli", "proxy", "--host", "127.0.0.1", "--port", String(port), "--store", store];
  if (options.maxBodyBytes !== undefined) {
    args.push("--max-body-bytes", String(options.maxBodyBytes));
  }
  if (options.apiKey !== undefined) {
    args.push("--api-key", options.apiKey);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" };
  delete env.HEADROOM_PROXY_API_KEY;
  const child = spawn(PYTHON, args, { cwd: workdir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await terminate(child);
    rmSync(workdir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the proxy exited with ${child.exitCode} before answering /health:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the proxy did not answer /health within ${STARTUP_MS} ms:\n${output()}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
