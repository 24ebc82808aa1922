/**
 * A camera on 127.0.0.1 that answers each GET with the next scripted response (the
 * last one repeats), or with what a function returns for request n. It records every
 * request so tests can check conditional headers.
 */
import { closeServer, listenOnLoopback } from './loopback-server';
import * as http from 'node:http';

export interface CameraResponse {
  status?: number;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** Wait before answering (ms). */
  delayMs?: number;
  /** Answer 304 when the request carries If-None-Match or If-Modified-Since, else `status`/`body`. */
  notModifiedIfConditional?: boolean;
}

export interface RecordedRequest {
  n: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface FakeCamera {
  url: string;
  requests: RecordedRequest[];
  inFlight(): number;
  setScript(script: CameraResponse[] | ((n: number) => CameraResponse)): void;
  close(): Promise<void>;
}

export async function startFakeCamera(initial: CameraResponse[] | ((n: number) => CameraResponse)): Promise<FakeCamera> {
  let script = initial;
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const n = requests.length;
    requests.push({ n, path: req.url ?? '', headers: req.headers, at: Date.now() });
    const item = typeof script === 'function' ? script(n) : script[Math.min(n, script.length - 1)];
    inFlight++;
    res.on('close', () => inFlight--);
    const respond = () => {
      if (res.destroyed) return;
      const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
      if (item.notModifiedIfConditional && conditional) {
        res.writeHead(304, item.headers ?? {});
        res.end();
        return;
      }
      const body = item.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(item.body) ? item.body : Buffer.from(item.body);
      res.writeHead(item.status ?? 200, { 'content-length': String(body.length), ...(item.headers ?? {}) });
      res.end(body);
    };
    if (item.delayMs) setTimeout(respond, item.delayMs);
    else respond();
  });
  server.keepAliveTimeout = 1000;
  return {
    url: `${await listenOnLoopback(server)}/cam.jpg`,
    requests,
    inFlight: () => inFlight,
    setScript: (next) => {
      script = next;
    },
    close: () => closeServer(server),
  };
}
