import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { fetchImage, FetchImageOptions } from '../../src/lib/http/fetch-image';
import { redactUrl } from '../../src/lib/http/redact-url';
import { FakeCamera, startFakeCamera } from '../support/fake-camera';
import { scene } from '../support/scenes';

const OPTIONS: FetchImageOptions = { timeoutMs: 2000, maxBytes: 1024 * 1024, retries: 0, backoffMs: 10 };

interface Server {
  url: string;
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 with a hand-written handler. */
async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cam.jpg`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('fetchImage against a local camera', () => {
  let jpeg: Buffer;
  const open: { close(): Promise<void> }[] = [];
  const camera = async (...args: Parameters<typeof startFakeCamera>): Promise<FakeCamera> => {
    const c = await startFakeCamera(...args);
    open.push(c);
    return c;
  };
  const server = async (handler: Parameters<typeof startServer>[0]): Promise<Server> => {
    const s = await startServer(handler);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    jpeg = await scene(1);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  test('200: the body, its content type and validators', async () => {
    const cam = await camera([
      { body: jpeg, headers: { 'content-type': 'image/jpeg', etag: '"v1"', 'last-modified': 'Sat, 21 Nov 2026 10:15:00 GMT' } },
    ]);
    const result = await fetchImage(cam.url, OPTIONS);
    expect(result).toEqual({
      kind: 'ok',
      body: jpeg,
      status: 200,
      contentType: 'image/jpeg',
      validators: { etag: '"v1"', lastModified: 'Sat, 21 Nov 2026 10:15:00 GMT' },
      attempts: 1,
    });
    expect(cam.requests).toHaveLength(1);
    expect(cam.requests[0].headers['if-none-match']).toBeUndefined();
    expect(cam.requests[0].headers.accept).toMatch(/^image\/jpeg/);
    expect(cam.requests[0].headers['user-agent']).toMatch(/visionflow/);
  });

  test('304: conditional headers are sent and the validators are kept', async () => {
    const cam = await camera([{ notModifiedIfConditional: true, status: 500, body: 'expected a conditional request' }]);
    const validators = { etag: '"v1"', lastModified: 'Sat, 21 Nov 2026 10:15:00 GMT' };
    const result = await fetchImage(cam.url, { ...OPTIONS, validators });
    expect(result).toEqual({ kind: 'not_modified', validators, attempts: 1 });
    expect(cam.requests[0].headers['if-none-match']).toBe('"v1"');
    expect(cam.requests[0].headers['if-modified-since']).toBe('Sat, 21 Nov 2026 10:15:00 GMT');
  });

  test('404 is final: not retryable, one attempt even with retries left', async () => {
    const cam = await camera([{ status: 404, body: 'not found' }]);
    const result = await fetchImage(cam.url, { ...OPTIONS, retries: 3 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'http_404', retryable: false, attempts: 1 });
    expect(cam.requests).toHaveLength(1);
  });

  test('500 then 200 with retries=1: ok on the second attempt', async () => {
    const cam = await camera([{ status: 500, body: 'internal error' }, { body: jpeg }]);
    const result = await fetchImage(cam.url, { ...OPTIONS, retries: 1 });
    expect(result).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(result.kind === 'ok' && result.body.equals(jpeg)).toBe(true);
    expect(cam.requests).toHaveLength(2);
  });

  test('500 twice with retries=1: failed, retryable, two attempts', async () => {
    const cam = await camera([{ status: 500, body: 'internal error' }]);
    const result = await fetchImage(cam.url, { ...OPTIONS, retries: 1 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'http_500', retryable: true, attempts: 2 });
    expect(cam.requests).toHaveLength(2);
  });

  test('429 with Retry-After: 0 is retried at once, ignoring a long backoff', async () => {
    const cam = await camera([{ status: 429, headers: { 'retry-after': '0' }, body: 'slow down' }, { body: jpeg }]);
    const started = Date.now();
    const result = await fetchImage(cam.url, { ...OPTIONS, retries: 1, backoffMs: 20_000 });
    expect(result).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a camera slower than timeoutMs fails with reason timeout', async () => {
    const cam = await camera([{ body: jpeg, delayMs: 1500 }]);
    const started = Date.now();
    const result = await fetchImage(cam.url, { ...OPTIONS, timeoutMs: 300 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'timeout', retryable: true, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1200);
  });

  test('a body that stalls halfway also times out', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(jpeg.length) });
      res.write(jpeg.subarray(0, 1000)); // and never the rest
    });
    const result = await fetchImage(srv.url, { ...OPTIONS, timeoutMs: 300 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'timeout' });
  });

  test('Content-Length above maxBytes is too_large without reading the body', async () => {
    const cam = await camera([{ body: jpeg }]);
    const result = await fetchImage(cam.url, { ...OPTIONS, maxBytes: 1000 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'too_large', retryable: false });
    expect(result.kind === 'failed' && result.detail).toContain(`Content-Length ${jpeg.length}`);
  });

  test('a chunked body growing above maxBytes is too_large', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' }); // no Content-Length: chunked
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= 50) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(Buffer.alloc(1000, 0xab));
        sent++;
      }, 2);
    });
    const result = await fetchImage(srv.url, { ...OPTIONS, maxBytes: 10_000 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'too_large', retryable: false });
    expect(srv.requests[0].headers['content-length']).toBeUndefined();
  });

  test('a chunked body under maxBytes is read whole', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(jpeg.subarray(0, 100));
      res.end(jpeg.subarray(100));
    });
    const result = await fetchImage(srv.url, OPTIONS);
    expect(result.kind === 'ok' && result.body.equals(jpeg)).toBe(true);
  });

  test('a connection cut mid-body is a retryable network failure', async () => {
    const srv = await server((_req, res) => {
      res.writeHead(200, { 'content-length': String(jpeg.length) });
      res.write(jpeg.subarray(0, 1000), () => res.destroy());
    });
    const result = await fetchImage(srv.url, OPTIONS);
    expect(result).toMatchObject({ kind: 'failed', reason: 'network', retryable: true });
  });

  test('credentials in the URL become a Basic header and never reach the request line', async () => {
    const cam = await camera([{ body: jpeg }]);
    const withCreds = cam.url.replace('http://', 'http://us%40er:p%3Ass@');
    const result = await fetchImage(withCreds, OPTIONS);
    expect(result.kind).toBe('ok');
    const req = cam.requests[0];
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    expect(req.path).toBe('/cam.jpg');
    expect(req.headers.host).toBe(new URL(cam.url).host);
  });

  test('credentials are not forwarded to another origin on a redirect', async () => {
    const other = await camera([{ body: jpeg }]);
    const srv = await server((_req, res) => {
      res.writeHead(302, { location: other.url });
      res.end();
    });
    const result = await fetchImage(srv.url.replace('http://', 'http://user:secret@'), OPTIONS);
    expect(result.kind).toBe('ok');
    expect(srv.requests[0].headers.authorization).toBeDefined();
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].headers.authorization).toBeUndefined();
  });

  test('an aborted signal ends with reason cancelled, not retried', async () => {
    const cam = await camera([{ body: jpeg, delayMs: 1000 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await fetchImage(cam.url, { ...OPTIONS, retries: 3, signal: controller.signal });
    expect(result).toMatchObject({ kind: 'failed', reason: 'cancelled', retryable: false, attempts: 1 });
  });
});

describe('redactUrl', () => {
  test('strips the password and masks the user', () => {
    const out = redactUrl('http://admin:hunter2@cam.example.org/snap.jpg');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('admin');
    expect(out).toContain('cam.example.org/snap.jpg');
  });

  test('masks secret query values and keeps the others', () => {
    const out = new URL(redactUrl('https://cam.example.org/snap.jpg?token=abc123&apikey=k-999&channel=2&size=large'));
    expect(out.searchParams.get('token')).toBe('***');
    expect(out.searchParams.get('apikey')).toBe('***');
    expect(out.searchParams.get('channel')).toBe('2');
    expect(out.searchParams.get('size')).toBe('large');
    expect(out.toString()).not.toMatch(/abc123|k-999/);
  });

  test('a URL without secrets is unchanged; garbage is not echoed', () => {
    expect(redactUrl('https://download.data.grandlyon.com/files/CWL9018.JPG')).toBe('https://download.data.grandlyon.com/files/CWL9018.JPG');
    expect(redactUrl('not a url with password=x')).toBe('<invalid URL>');
  });
});
