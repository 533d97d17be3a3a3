import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';

/** One scripted answer. `body` is sent as JSON unless `rawBody` is given. */
export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Sent verbatim instead of `body` (HTML error pages, truncated JSON). */
  readonly rawBody?: string;
  /** Wait this long before answering (timeouts). */
  readonly delayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  readonly body: unknown;
  readonly rawBody: string;
}

export interface ReplayServerOptions {
  /**
   * `h2c` speaks HTTP/2 without TLS (prior knowledge), which is what the AWS SDK's Bedrock Runtime
   * client uses; `http/1.1` suits fetch-based clients. Default `http/1.1`.
   */
  readonly protocol?: 'http/1.1' | 'h2c';
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>`; valid after start(). */
  readonly url: string;
  /** Requests that got a scripted answer, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests that arrived after the script ran out. */
  readonly unexpected: readonly RecordedRequest[];
  /** Scripted responses not yet used. */
  readonly remaining: number;
  /** Appends answers to the script. */
  enqueue(...responses: ScriptedResponse[]): void;
  start(): Promise<void>;
  /** Stops the server and drops open connections; throws if more requests arrived than were scripted. */
  close(): Promise<void>;
}

/** Outside the range any real server uses, so it cannot be mistaken for a scripted answer. */
const OVERFLOW_STATUS = 599;

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

const parseBody = (raw: string): unknown => {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
};

/**
 * A loopback HTTP server that answers each request with the next scripted response and records
 * what it was sent. A request beyond the script gets a 599 and is recorded as unexpected, and
 * close() then throws, so a test cannot silently pass while its client made extra calls.
 */
export const createReplayServer = (script: readonly ScriptedResponse[] = [], options: ReplayServerOptions = {}): ReplayServer => {
  const queue: ScriptedResponse[] = [...script];
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let server: Server | undefined;
  let dropConnections = (): void => undefined;
  let url = '';

  const send = (res: AnyResponse, r: ScriptedResponse): void => {
    // The client may have given up (timeout tests) before a delayed answer is due.
    if (res.writableEnded || res.socket === null || res.socket.destroyed) return;
    const payload = r.rawBody ?? (r.body === undefined ? '' : JSON.stringify(r.body));
    const headers: Record<string, string> = { ...(r.rawBody === undefined ? { 'content-type': 'application/json' } : {}), ...r.headers };
    res.writeHead(r.status, headers);
    res.end(payload);
  };

  const onRequest = (req: AnyRequest, res: AnyResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: parseBody(rawBody),
        rawBody,
      };
      const next = queue.shift();
      if (next === undefined) {
        unexpected.push(recorded);
        send(res, { status: OVERFLOW_STATUS, body: { error: 'replay server: no scripted response left for this request' } });
        return;
      }
      requests.push(recorded);
      if (next.delayMs === undefined) {
        send(res, next);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(res, next);
      }, next.delayMs);
      timers.add(timer);
    });
  };

  const listen = (): Server => {
    if (options.protocol === 'h2c') {
      const sessions = new Set<Http2Session>();
      const h2 = createH2cServer(onRequest);
      h2.on('session', (session: Http2Session) => {
        sessions.add(session);
        session.once('close', () => sessions.delete(session));
      });
      dropConnections = () => {
        for (const session of sessions) session.destroy();
      };
      return h2;
    }
    const h1 = createServer(onRequest);
    dropConnections = () => {
      h1.closeAllConnections();
    };
    return h1;
  };

  return {
    get url() {
      return url;
    },
    requests,
    unexpected,
    get remaining() {
      return queue.length;
    },
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        const s = listen();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
          server = s;
          url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
          resolve();
        });
      }),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const s = server;
      server = undefined;
      if (s !== undefined) {
        dropConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      if (unexpected.length > 0) {
        const calls = unexpected.map((r) => `${r.method} ${r.url}`).join(', ');
        throw new Error(`replay server: ${unexpected.length} request(s) beyond the script: ${calls}`);
      }
    },
  };
};
