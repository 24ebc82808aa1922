/**
 * The Label Studio stand-in behaves like Label Studio 1.23.2 where the tests need it: legacy
 * and JWT auth (refresh, expiry), the JSON export, uploaded / storage-data / local files, the
 * s3:// resolve redirect to a second host that never needs (nor accepts) the token, faults and
 * request recording. All checked with plain fetch.
 */
import sharp from 'sharp';
import { LsStandIn, LsStandInOptions, startLabelStudioStandIn } from '../support/label-studio-stand-in';

const LEGACY = 'c0ffee0123456789abcdef0123456789abcdef01';
const PAT = [
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
  Buffer.from(JSON.stringify({ token_type: 'refresh', exp: 8102432052, iat: 1795232052, jti: 'e6e1de599dc447eba01fb6eff964222f', user_id: '1' })).toString('base64url'),
  'c3RhbmQtaW4tc2lnbmF0dXJl',
].join('.');
const token = { authorization: `Token ${LEGACY}` };

function box(x: number, label: string): unknown {
  return {
    from_name: 'label',
    to_name: 'image',
    type: 'rectanglelabels',
    original_width: 64,
    original_height: 48,
    image_rotation: 0,
    value: { x, y: 20, width: 30, height: 40, rotation: 0, rectanglelabels: [label] },
  };
}

/** Python's base64.urlsafe_b64encode, as Label Studio builds fileuri. */
function fileuri(uri: string): string {
  return Buffer.from(uri).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function refreshAccess(ls: LsStandIn, refresh = PAT): Promise<string> {
  const res = await fetch(`${ls.url}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access: string }).access;
}

describe('Label Studio stand-in', () => {
  let ls: LsStandIn;
  let jpegA: Buffer;
  let jpegB: Buffer;
  let pngC: Buffer;
  let jpegS3: Buffer;
  let jpegCdn: Buffer;

  const image = (color: { r: number; g: number; b: number }) => sharp({ create: { width: 64, height: 48, channels: 3, background: color } });

  beforeAll(async () => {
    jpegA = await image({ r: 200, g: 30, b: 30 }).jpeg().toBuffer();
    jpegB = await image({ r: 30, g: 200, b: 30 }).jpeg().toBuffer();
    pngC = await image({ r: 30, g: 30, b: 200 }).png().toBuffer();
    jpegS3 = await image({ r: 200, g: 200, b: 30 }).jpeg().toBuffer();
    jpegCdn = await image({ r: 30, g: 200, b: 200 }).jpeg().toBuffer();
    const options: LsStandInOptions = {
      legacyToken: LEGACY,
      personalTokens: [PAT],
      projectId: 3,
      tasks: [
        { id: 11, image: '/data/upload/3/4f1c2a9e-a.jpg', annotations: [[box(10, 'car')], [box(12, 'car'), box(50, 'person')]] },
        { id: 12, image: '{self}/storage-data/uploaded/?filepath=upload/3/9d0e7b21-b.jpg', annotations: [[box(5, 'person')]] },
        { id: 13, image: '/data/local-files/?d=images/c.png' },
        { id: 14, image: 's3://vf-bucket/frames/cam 1/d.jpg', annotations: [[box(1, 'car')]] },
        { id: 15, image: '{other}/cdn/e.jpg', annotations: [{ result: [], was_cancelled: true }] },
      ],
      files: {
        '/data/upload/3/4f1c2a9e-a.jpg': { body: jpegA },
        '/storage-data/uploaded/?filepath=upload/3/9d0e7b21-b.jpg': { body: jpegB },
        '/data/local-files/?d=images/c.png': { body: pngC },
      },
      otherHostFiles: { '/cdn/e.jpg': { body: jpegCdn, contentType: 'image/jpeg' } },
      s3Objects: { 's3://vf-bucket/frames/cam 1/d.jpg': { body: jpegS3 } },
    };
    ls = await startLabelStudioStandIn(options);
  });

  afterAll(() => ls.close());

  afterEach(() => {
    ls.faults = {};
  });

  const get = (path: string, headers: Record<string, string> = token, init: RequestInit = {}) => fetch(`${ls.url}${path}`, { headers, ...init });

  describe('hosts', () => {
    it('are two servers on 127.0.0.1 with different ports', () => {
      expect(ls.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ls.otherUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ls.otherUrl).not.toBe(ls.url);
    });
  });

  describe('auth', () => {
    it('accepts the legacy Token and answers the project', async () => {
      const res = await get('/api/projects/3');
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ id: 3, task_number: 5, num_tasks_with_annotations: 4 });
      expect(body.label_config).toContain('<RectangleLabels name="label" toName="image">');
      // As Label Studio derives them from the config (compared with a real 1.23.2 project).
      expect(body.parsed_label_config).toEqual({
        label: { type: 'RectangleLabels', to_name: ['image'], inputs: [{ type: 'Image', valueType: null, value: 'image' }], labels: ['car', 'person'], labels_attrs: { car: { value: 'car' }, person: { value: 'person' } } },
      });
      expect((await get('/api/projects/3/')).status).toBe(200);
      const missing = await get('/api/projects/4');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ status_code: 404, detail: 'No Project matches the given query.' });
    });

    it("refuses missing, wrong and malformed credentials with Label Studio's 401 bodies", async () => {
      const cases: [Record<string, string>, string][] = [
        [{}, 'Authentication credentials were not provided.'],
        [{ authorization: 'Token nope' }, 'Invalid token.'],
        [{ authorization: 'Token' }, 'Invalid token header. No credentials provided.'],
        [{ authorization: 'Token a b' }, 'Invalid token header. Token string should not contain spaces.'],
        [{ authorization: `Bearer ${LEGACY}` }, 'Authentication credentials were not provided.'],
        // A personal access token is a refresh token: it is not an access token.
        [{ authorization: `Bearer ${PAT}` }, 'Authentication credentials were not provided.'],
      ];
      for (const [headers, detail] of cases) {
        const res = await get('/api/projects/3', headers);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Token');
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status_code: 401, version: '1.23.2', detail, exc_info: null });
      }
    });

    it('exchanges a personal access token for a Bearer access JWT valid 5 minutes', async () => {
      const before = Math.floor(Date.now() / 1000);
      const access = await refreshAccess(ls);
      expect(access.split('.')).toHaveLength(3);
      const c = claims(access);
      expect(c).toMatchObject({ token_type: 'access', user_id: '1', jti: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(c.iat).toBeGreaterThanOrEqual(before);
      expect((c.exp as number) - (c.iat as number)).toBeGreaterThanOrEqual(299);
      expect((await get('/api/projects/3', { authorization: `Bearer ${access}` })).status).toBe(200);
      // A tampered access token is ignored like any invalid JWT.
      const tampered = `${access.slice(0, -2)}${access.endsWith('AA') ? 'BB' : 'AA'}`;
      expect((await get('/api/projects/3', { authorization: `Bearer ${tampered}` })).status).toBe(401);
    });

    it('refresh: form bodies, no trailing slash, validation and unknown tokens as Label Studio answers them', async () => {
      const form = await fetch(`${ls.url}/api/token/refresh`, { method: 'POST', body: new URLSearchParams({ refresh: PAT }) });
      expect(form.status).toBe(200);
      expect(claims(((await form.json()) as { access: string }).access).token_type).toBe('access');

      const missing = await fetch(`${ls.url}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ status_code: 400, detail: 'Validation error', validation_errors: { refresh: ['This field is required.'] } });

      const unknown = await fetch(`${ls.url}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: 'abc' }) });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(await unknown.json()).toMatchObject({ status_code: 401, detail: 'Token is invalid' });

      const legacy = await fetch(`${ls.url}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: LEGACY }) });
      expect(legacy.status).toBe(401);

      const wrongMethod = await get('/api/token/refresh/');
      expect(wrongMethod.status).toBe(405);
      expect(await wrongMethod.json()).toMatchObject({ detail: 'Method "GET" not allowed.' });
    });

    it('access tokens expire after accessTtlSeconds; a new refresh works again', async () => {
      const short = await startLabelStudioStandIn({ legacyToken: LEGACY, personalTokens: [PAT], accessTtlSeconds: 1, projectId: 3, tasks: [], files: {} });
      try {
        const access = await refreshAccess(short);
        const c = claims(access);
        expect((c.exp as number) - (c.iat as number)).toBeLessThanOrEqual(1);
        const bearer = { authorization: `Bearer ${access}` };
        expect((await fetch(`${short.url}/api/projects/3`, { headers: bearer })).status).toBe(200);
        await new Promise((r) => setTimeout(r, 1200));
        const expired = await fetch(`${short.url}/api/projects/3`, { headers: bearer });
        expect(expired.status).toBe(401);
        // Label Studio's JWT middleware drops an expired token silently; DRF then finds no credentials.
        expect(await expired.json()).toMatchObject({ status_code: 401, detail: 'Authentication credentials were not provided.' });
        const again = await refreshAccess(short);
        expect((await fetch(`${short.url}/api/projects/3`, { headers: { authorization: `Bearer ${again}` } })).status).toBe(200);
      } finally {
        await short.close();
      }
    });
  });

  describe('export', () => {
    it('serves the JSON export of all tasks with {self}/{other} replaced, as Label Studio 1.23.2 does', async () => {
      const res = await get('/api/projects/3/export?exportType=JSON&download_all_tasks=true');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/.json');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="project-3-at-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}\.json"$/);
      const tasks = (await res.json()) as Record<string, unknown>[];
      expect(tasks).toEqual(ls.exportTasks());
      expect(tasks.map((t) => t.id)).toEqual([11, 12, 13, 14, 15]);
      expect(tasks.map((t) => (t.data as { image: string }).image)).toEqual([
        '/data/upload/3/4f1c2a9e-a.jpg',
        `${ls.url}/storage-data/uploaded/?filepath=upload/3/9d0e7b21-b.jpg`,
        '/data/local-files/?d=images/c.png',
        's3://vf-bucket/frames/cam 1/d.jpg',
        `${ls.otherUrl}/cdn/e.jpg`,
      ]);
      // Key order and fields as the real export; file_upload only where the task has an upload.
      expect(Object.keys(tasks[0])).toEqual([
        'id', 'annotations', 'file_upload', 'drafts', 'predictions', 'data', 'meta', 'created_at', 'updated_at', 'allow_skip', 'inner_id',
        'total_annotations', 'cancelled_annotations', 'total_predictions', 'comment_count', 'unresolved_comment_count', 'last_comment_updated_at',
        'project', 'updated_by', 'comment_authors',
      ]);
      expect(tasks.map((t) => t.file_upload)).toEqual(['4f1c2a9e-a.jpg', '9d0e7b21-b.jpg', undefined, undefined, undefined]);
      const ann = (tasks[0].annotations as Record<string, unknown>[])[1];
      expect(ann).toMatchObject({ id: 2, completed_by: 1, was_cancelled: false, ground_truth: false, result_count: 2, task: 11, project: 3, prediction: {} });
      expect(ann.result).toEqual([box(12, 'car'), box(50, 'person')]);
      expect(tasks[4]).toMatchObject({ total_annotations: 0, cancelled_annotations: 1 });
      expect((tasks[4].annotations as Record<string, unknown>[])[0]).toMatchObject({ was_cancelled: true, result: [] });
    });

    it('download_all_tasks=false (the default) leaves out tasks without annotations; ids[] selects', async () => {
      const finished = (await (await get('/api/projects/3/export?exportType=JSON&download_all_tasks=false')).json()) as { id: number }[];
      expect(finished.map((t) => t.id)).toEqual([11, 12, 14, 15]);
      const byDefault = (await (await get('/api/projects/3/export?exportType=JSON')).json()) as { id: number }[];
      expect(byDefault.map((t) => t.id)).toEqual([11, 12, 14, 15]);
      const some = (await (await get('/api/projects/3/export?exportType=JSON&download_all_tasks=1&ids[]=13&ids[]=14')).json()) as { id: number }[];
      expect(some.map((t) => t.id)).toEqual([13, 14]);
    });

    it('validates parameters and routes like Label Studio', async () => {
      const bad = await get('/api/projects/3/export?exportType=JSON&download_all_tasks=maybe');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ detail: 'Validation error', validation_errors: { download_all_tasks: ['Must be a valid boolean.'] } });
      expect((await get('/api/projects/3/export?exportType=FOO')).status).toBe(500);
      const slash = await get('/api/projects/3/export/?exportType=JSON');
      expect(slash.status).toBe(404);
      expect(slash.headers.get('content-type')).toContain('text/html');
      expect((await get('/api/projects/9/export?exportType=JSON')).status).toBe(404);
      expect((await get('/api/projects/3/export?exportType=JSON', {})).status).toBe(401);
    });
  });

  describe('tasks and files', () => {
    it('GET /api/tasks/{id} resolves s3:// URIs to the relative resolve proxy URL, unless resolve_uri=false', async () => {
      const task = (await (await get('/api/tasks/14')).json()) as Record<string, unknown>;
      expect(task).toMatchObject({ id: 14, project: 3, is_labeled: true, total_annotations: 1 });
      expect((task.data as { image: string }).image).toBe(`/tasks/14/resolve/?fileuri=${fileuri('s3://vf-bucket/frames/cam 1/d.jpg')}`);
      const raw = (await (await get('/api/tasks/14/?resolve_uri=false')).json()) as { data: { image: string } };
      expect(raw.data.image).toBe('s3://vf-bucket/frames/cam 1/d.jpg');
      const missing = await get('/api/tasks/99');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ detail: 'No Task matches the given query.' });
    });

    it('serves uploaded, storage-data and local files with Token or Bearer auth, 401 without', async () => {
      const access = await refreshAccess(ls);
      const upload = await get('/data/upload/3/4f1c2a9e-a.jpg', { authorization: `Bearer ${access}` });
      expect(upload.status).toBe(200);
      expect(upload.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await upload.arrayBuffer()).equals(jpegA)).toBe(true);

      const storage = await get('/storage-data/uploaded/?filepath=upload/3/9d0e7b21-b.jpg');
      expect(storage.status).toBe(200);
      expect(Buffer.from(await storage.arrayBuffer()).equals(jpegB)).toBe(true);
      // Django decodes the query: an encoded slash names the same file.
      const encoded = await get('/storage-data/uploaded/?filepath=upload%2F3%2F9d0e7b21-b.jpg');
      expect(Buffer.from(await encoded.arrayBuffer()).equals(jpegB)).toBe(true);

      const local = await get('/data/local-files/?d=images/c.png');
      expect(local.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await local.arrayBuffer()).equals(pngC)).toBe(true);

      for (const path of ['/data/upload/3/4f1c2a9e-a.jpg', '/storage-data/uploaded/?filepath=upload/3/9d0e7b21-b.jpg', '/data/local-files/?d=images/c.png']) {
        const res = await get(path, {});
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ detail: 'Authentication credentials were not provided.' });
      }
    });

    it('answers ranges with 206, and unknown files as Label Studio 1.23.2 does', async () => {
      const part = await get('/data/upload/3/4f1c2a9e-a.jpg', { ...token, range: 'bytes=0-9' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 0-9/${jpegA.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(jpegA.subarray(0, 10))).toBe(true);

      const noFile = await get('/storage-data/uploaded/?filepath=upload/3/missing.jpg');
      expect([noFile.status, (await noFile.arrayBuffer()).byteLength]).toEqual([403, 0]);
      const noParam = await get('/storage-data/uploaded/');
      expect([noParam.status, (await noParam.arrayBuffer()).byteLength]).toEqual([404, 0]);
      const upload = await get('/data/upload/3/missing.jpg');
      expect(upload.status).toBe(500);
      expect(await upload.json()).toMatchObject({ status_code: 500, detail: "'NoneType' object has no attribute 'has_permission'" });
    });
  });

  describe('s3:// resolve and the second host', () => {
    const s3Uri = 's3://vf-bucket/frames/cam 1/d.jpg';

    it('GET /tasks/{id}/resolve/?fileuri= answers 303 to a presigned URL on the other host', async () => {
      const res = await get(`/tasks/14/resolve/?fileuri=${fileuri(s3Uri)}`, token, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('cache-control')).toBe('no-store, max-age=60');
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).toBe(ls.otherUrl);
      expect(location.pathname).toBe('/vf-bucket/frames/cam%201/d.jpg');
      expect(location.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
      expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(location.searchParams.get('response-content-type')).toBe('image/jpeg');

      const object = await fetch(location);
      expect(object.status).toBe(200);
      expect(object.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await object.arrayBuffer()).equals(jpegS3)).toBe(true);
    });

    it('fetch following the redirect gets the bytes and the token never reaches the other host', async () => {
      const from = ls.requests.length;
      const res = await get(`/tasks/14/resolve/?fileuri=${fileuri(s3Uri)}`);
      expect(res.status).toBe(200);
      expect(res.url.startsWith(ls.otherUrl)).toBe(true);
      expect(Buffer.from(await res.arrayBuffer()).equals(jpegS3)).toBe(true);
      const seen = ls.requests.slice(from);
      expect(seen.map((r) => [r.host, r.status])).toEqual([
        ['self', 303],
        ['other', 200],
      ]);
      expect(seen[0].authorization).toBe(`Token ${LEGACY}`);
      expect(seen[1].authorization).toBeUndefined();
    });

    it('the other host refuses a presigned request that carries an Authorization header, or a bad signature', async () => {
      const location = (await get(`/tasks/14/resolve/?fileuri=${fileuri(s3Uri)}`, token, { redirect: 'manual' })).headers.get('location')!;
      const leaked = await fetch(location, { headers: token });
      expect(leaked.status).toBe(400);
      expect(await leaked.text()).toContain('<Code>InvalidArgument</Code>');
      expect(ls.requests.at(-1)).toMatchObject({ host: 'other', authorization: `Token ${LEGACY}`, status: 400 });

      const tampered = location.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
      const bad = await fetch(tampered);
      expect(bad.status).toBe(403);
      expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
      const anonymous = await fetch(`${ls.otherUrl}/vf-bucket/frames/cam%201/d.jpg`);
      expect(anonymous.status).toBe(403);
      expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
      expect((await fetch(`${ls.otherUrl}/vf-bucket/nope.jpg`)).status).toBe(404);
    });

    it('resolve routes: presign alias, project level, no trailing slash; errors as Label Studio', async () => {
      for (const path of [`/tasks/14/presign/?fileuri=${fileuri(s3Uri)}`, `/projects/3/resolve/?fileuri=${fileuri(s3Uri)}`, `/tasks/14/resolve?fileuri=${fileuri(s3Uri)}`]) {
        const res = await get(path, token, { redirect: 'manual' });
        expect(res.status).toBe(303);
      }
      // Any task of the project resolves the project's storage URIs.
      expect((await get(`/tasks/11/resolve/?fileuri=${fileuri(s3Uri)}`, token, { redirect: 'manual' })).status).toBe(303);
      // Label Studio has no /api/tasks/{id}/resolve/: its 404 page.
      const api = await get(`/api/tasks/14/resolve/?fileuri=${fileuri(s3Uri)}`, token, { redirect: 'manual' });
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toContain('text/html');
      const cases: [string, Record<string, string>, number][] = [
        ['/tasks/14/resolve/', token, 400],
        [`/tasks/99/resolve/?fileuri=${fileuri(s3Uri)}`, token, 404],
        [`/tasks/14/resolve/?fileuri=${fileuri('s3://vf-bucket/unknown.jpg')}`, token, 404],
        [`/tasks/14/resolve/?fileuri=${fileuri(s3Uri)}`, {}, 401],
      ];
      for (const [path, headers, status] of cases) {
        const res = await get(path, headers, { redirect: 'manual' });
        expect([path, res.status]).toEqual([path, status]);
      }
    });

    it('otherHostFiles are served without auth, and the host records an Authorization header if one arrives', async () => {
      const from = ls.requests.length;
      const plain = await fetch(`${ls.otherUrl}/cdn/e.jpg`);
      expect(plain.status).toBe(200);
      expect(Buffer.from(await plain.arrayBuffer()).equals(jpegCdn)).toBe(true);
      const leaky = await fetch(`${ls.otherUrl}/cdn/e.jpg`, { headers: token });
      expect(leaky.status).toBe(200);
      await leaky.arrayBuffer();
      expect(ls.requests.slice(from).map((r) => [r.host, r.path, r.authorization])).toEqual([
        ['other', '/cdn/e.jpg', undefined],
        ['other', '/cdn/e.jpg', `Token ${LEGACY}`],
      ]);
      // The CDN URL is not a Label Studio file.
      expect((await get('/cdn/e.jpg')).status).toBe(404);
    });
  });

  describe('faults', () => {
    it('errors: the first `times` requests under a prefix answer the status (429 with Retry-After), then the real answer', async () => {
      ls.faults = { errors: { '/data/upload/': { status: 429, times: 2, retryAfterSeconds: 3 } } };
      const first = await get('/data/upload/3/4f1c2a9e-a.jpg');
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('3');
      expect(await first.json()).toMatchObject({ status_code: 429, detail: 'Request was throttled. Expected available in 3 seconds.' });
      expect((await get('/data/upload/3/4f1c2a9e-a.jpg')).status).toBe(429);
      expect((await get('/data/upload/3/4f1c2a9e-a.jpg')).status).toBe(200);
      // Other paths are untouched.
      expect((await get('/api/projects/3')).status).toBe(200);
    });

    it('errors apply to the second host too (S3 XML), and counts restart when the entry is replaced', async () => {
      ls.faults = { errors: { '/cdn/': { status: 500, times: 1 } } };
      const failed = await fetch(`${ls.otherUrl}/cdn/e.jpg`);
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('<Code>InternalError</Code>');
      expect((await fetch(`${ls.otherUrl}/cdn/e.jpg`)).status).toBe(200);
      ls.faults = { errors: { '/cdn/': { status: 503, times: 1 } } };
      expect((await fetch(`${ls.otherUrl}/cdn/e.jpg`)).status).toBe(503);
      expect((await fetch(`${ls.otherUrl}/cdn/e.jpg`)).status).toBe(200);
    });

    it('500 on the export, then success', async () => {
      ls.faults = { errors: { '/api/projects/3/export': { status: 500, times: 1 } } };
      const failed = await get('/api/projects/3/export?exportType=JSON&download_all_tasks=true');
      expect(failed.status).toBe(500);
      expect(await failed.json()).toMatchObject({ status_code: 500, version: '1.23.2' });
      expect((await get('/api/projects/3/export?exportType=JSON&download_all_tasks=true')).status).toBe(200);
    });

    it('delayMs slows the answer; a client that gives up is recorded with status 0', async () => {
      ls.faults = { delayMs: { '/api/projects/3': 300 } };
      const t0 = Date.now();
      expect((await get('/api/projects/3')).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

      const from = ls.requests.length;
      await expect(get('/api/projects/3', token, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 100));
      expect(ls.requests.slice(from)).toEqual([{ host: 'self', method: 'GET', path: '/api/projects/3', authorization: `Token ${LEGACY}`, status: 0 }]);
    });

    it('override serves the given body instead, before auth (an HTML login page, a truncated image)', async () => {
      ls.faults = {
        override: {
          '/api/projects/3/export?exportType=JSON&download_all_tasks=true': { status: 200, body: '<html><body>Sign in</body></html>' },
          '/data/upload/3/4f1c2a9e-a.jpg': { status: 200, body: jpegA.subarray(0, 100), contentType: 'image/jpeg' },
        },
      };
      const page = await get('/api/projects/3/export?exportType=JSON&download_all_tasks=true', {});
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('Sign in');
      const short = await get('/data/upload/3/4f1c2a9e-a.jpg');
      expect(Buffer.from(await short.arrayBuffer()).equals(jpegA.subarray(0, 100))).toBe(true);
    });
  });

  describe('recording', () => {
    it('records host, method, path with query, Authorization and status of every request', async () => {
      const from = ls.requests.length;
      await (await get('/api/projects/3/export?exportType=JSON&download_all_tasks=true')).arrayBuffer();
      await (await get('/api/projects/3', {})).arrayBuffer();
      await (await fetch(`${ls.url}/api/token/refresh/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: PAT }) })).arrayBuffer();
      await (await fetch(`${ls.otherUrl}/cdn/e.jpg?v=2`, { method: 'HEAD' })).arrayBuffer();
      expect(ls.requests.slice(from)).toEqual([
        { host: 'self', method: 'GET', path: '/api/projects/3/export?exportType=JSON&download_all_tasks=true', authorization: `Token ${LEGACY}`, status: 200 },
        { host: 'self', method: 'GET', path: '/api/projects/3', status: 401 },
        { host: 'self', method: 'POST', path: '/api/token/refresh/', status: 200 },
        { host: 'other', method: 'HEAD', path: '/cdn/e.jpg?v=2', status: 404 },
      ]);
    });
  });
});
