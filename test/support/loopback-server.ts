/** What every loopback test server needs: listen on a free port, read a body, close for good. */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 at a free port and returns `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A stand-in's own failure as a 500 with the stack (tests read it), or a dropped socket once headers went out. */
export function sendStandInError(res: http.ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = Buffer.from(`stand-in error: ${err.stack ?? err.message}`);
  res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(body.length) });
  res.end(body);
}

/** Drops open connections (keep-alive, stalled answers) and stops listening; pending timers are cleared first. */
export function closeServer(server: http.Server, timers?: Set<NodeJS.Timeout>): Promise<void> {
  if (timers) {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
