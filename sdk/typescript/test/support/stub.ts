/** A loopback HTTP server that answers from a script, to drive the client's error paths. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request arrived, for measuring backoff. */
  at: number;
}

/** Answers one request; a handler that never ends the response simulates a hung proxy. */
export type Handler = (request: Received, response: ServerResponse) => void;

export interface Stub {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Serve `handlers` in order, the last one repeating. */
export async function startStub(...handlers: Handler[]): Promise<Stub> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: Received = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      const handler = handlers[Math.min(received.length, handlers.length - 1)];
      received.push(request);
      handler?.(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown): Handler {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
}

export function proxyError(status: number, type: string, message: string): Handler {
  return json(status, { type: "error", error: { type, message } });
}

/** Never answers: the client's timeout has to end the request. */
export const hang: Handler = () => undefined;

/** A loopback port nothing listens on (bound, read, released). */
export async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
