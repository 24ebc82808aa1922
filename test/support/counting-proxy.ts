/**
 * An HTTP proxy in front of MinIO that forwards every request unchanged (the Host
 * header too, so SigV4 signatures still verify) and counts PUTs per object path:
 * the crash test's proof that no frame was uploaded twice.
 */
import { closeServer, listenOnLoopback } from './loopback-server';
import * as http from 'node:http';

export interface CountingProxy {
  url: string;
  puts: Map<string, number>;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const puts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (req.method === 'PUT' && up.statusCode === 200) puts.set(path, (puts.get(path) ?? 0) + 1);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  return {
    url: await listenOnLoopback(server),
    puts,
    close: () => closeServer(server),
  };
}
