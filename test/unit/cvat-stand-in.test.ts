/**
 * The CVAT stand-in behaves like CVAT's published REST API (cvat/schema.yml): auth
 * schemes, DRF pagination and filters, data/meta, frames, both export flows, faults
 * and organization scoping, all checked with plain fetch.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildCvatTaskFixture, buildSmallTask } from '../support/cvat-fixtures';
import { CvatStandIn, StandInTask, startCvatStandIn } from '../support/cvat-stand-in';
import { createStoredZip, crc32 } from '../support/zip-writer';

const PAT = 'pat-0123456789abcdef';
const bearer = { authorization: `Bearer ${PAT}` };
const CVAT_JSON = 'application/vnd.cvat+json';

/** Entries of a STORE-only zip, read through the central directory (CRC checked). */
function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (method !== 0) throw new Error(`entry ${name} is compressed`);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(dataAt, dataAt + size);
    if (crc32(body) !== crc) throw new Error(`entry ${name}: CRC mismatch`);
    out.set(name, body);
    at += 46 + nameLength + extra + comment;
  }
  return out;
}

function unzipTest(zip: Buffer): void {
  if (!fs.existsSync('/usr/bin/unzip')) return;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cvat-zip-')), 'export.zip');
  fs.writeFileSync(file, zip);
  execFileSync('unzip', ['-tq', file]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

describe('CVAT stand-in', () => {
  let main: StandInTask;
  let cvat: CvatStandIn;
  const sandboxIds: number[] = [];

  async function get(pathAndQuery: string, headers: Record<string, string> = bearer): Promise<Response> {
    return fetch(`${cvat.url}${pathAndQuery}`, { headers });
  }

  beforeAll(async () => {
    main = await buildCvatTaskFixture({ id: 7, name: 'lev0042-med0007' });
    const tasks: StandInTask[] = [
      main,
      await buildSmallTask({ id: 8, name: 'lev0042-med0007-retake' }),
      await buildSmallTask({ id: 9, name: 'LEV0042-MED0007' }),
      await buildSmallTask({ id: 500, name: 'lev0042-med0007', organization: 'acme', frameCount: 2 }),
      await buildSmallTask({ id: 501, name: 'lev9000-med0001', organization: 'acme', frameCount: 1 }),
    ];
    for (let i = 0; i < 22; i++) tasks.push({ id: 100 + i, name: `survey-${String(i).padStart(2, '0')}`, frames: [] });
    sandboxIds.push(...tasks.filter((t) => !t.organization).map((t) => t.id));
    cvat = await startCvatStandIn({ tasks, username: 'annotator', password: 's3cret!', accessTokens: [PAT], exportPollsBeforeReady: 2 });
  });

  afterAll(() => cvat.close());

  afterEach(() => {
    cvat.faults = {};
  });

  describe('fixtures', () => {
    it('are real images whose reported size is the displayed size, with relative names', async () => {
      expect(main.frames.map((f) => f.name)).toEqual([
        'DSC_0412.JPG',
        'IMG_0001.jpg',
        'IMG_0003.jpg',
        'IMG_0005_portrait.jpg',
        'left/IMG_0002.jpg',
        'overlay_0008.png',
        'scan_0007.png',
      ]);
      for (const f of main.frames) {
        const meta = await sharp(f.body).metadata();
        expect([meta.autoOrient.width, meta.autoOrient.height]).toEqual([f.width, f.height]);
      }
      expect(main.frames[0].width * main.frames[0].height).toBe(12_000_000);
    });

    it('JPEGs are quality-92 photos that shrink when re-encoded at quality 60', async () => {
      for (const f of main.frames.filter((x) => /\.jpe?g$/i.test(x.name))) {
        const q60 = await sharp(f.body).jpeg({ quality: 60 }).toBuffer();
        expect(q60.length).toBeLessThan(f.body.length * 0.5);
      }
    });

    it('the portrait JPEG is stored sideways with EXIF Orientation 6 and shows sky on top once oriented', async () => {
      const f = main.frames.find((x) => x.name === 'IMG_0005_portrait.jpg')!;
      const meta = await sharp(f.body).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', orientation: 6, width: 1600, height: 1200 });
      const { data, info } = await sharp(f.body).autoOrient().raw().toBuffer({ resolveWithObject: true });
      const blueness = (y0: number, y1: number) => {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = 0; x < info.width; x++) sum += data[(y * info.width + x) * 3 + 2] - data[(y * info.width + x) * 3];
        return sum / ((y1 - y0) * info.width);
      };
      expect([info.width, info.height]).toEqual([1200, 1600]);
      expect(blueness(0, 80)).toBeGreaterThan(50);
      expect(blueness(info.height - 80, info.height)).toBeLessThan(20);
    });

    it('has an opaque PNG and a PNG with alpha', async () => {
      const scan = await sharp(main.frames.find((x) => x.name === 'scan_0007.png')!.body).metadata();
      const overlay = await sharp(main.frames.find((x) => x.name === 'overlay_0008.png')!.body).metadata();
      expect(scan).toMatchObject({ format: 'png', width: 800, height: 600, channels: 3, hasAlpha: false });
      expect(overlay).toMatchObject({ format: 'png', channels: 4, hasAlpha: true });
    });
  });

  describe('authentication', () => {
    it('logs in with JSON credentials and accepts the key as "Token"', async () => {
      const res = await fetch(`${cvat.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'annotator', password: 's3cret!' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(CVAT_JSON);
      const { key } = (await res.json()) as { key: string };
      expect(key).toMatch(/^[0-9a-f]{40}$/);
      const about = await get('/api/server/about', { authorization: `Token ${key}` });
      expect(about.status).toBe(200);
      expect(await about.json()).toEqual({ name: 'Computer Vision Annotation Tool', description: expect.any(String), version: '2.22.0' });
      expect(cvat.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/server/about', auth: 'token', status: 200 });
    });

    it('refuses bad credentials with DRF bodies', async () => {
      const login = (body: unknown) =>
        fetch(`${cvat.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const bad = await login({ username: 'annotator', password: 'wrong' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] });
      expect((await login({ username: 'annotator' })).status).toBe(400);

      const none = await get('/api/tasks', {});
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Token');
      expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
      expect(cvat.requests.at(-1)).toMatchObject({ auth: 'none', status: 401 });

      const badToken = await get('/api/tasks', { authorization: 'Token 0000000000000000000000000000000000000000' });
      expect(await badToken.json()).toEqual({ detail: 'Invalid token.' });
      expect(cvat.requests.at(-1)).toMatchObject({ auth: 'invalid', status: 401 });

      expect((await get('/api/tasks', { authorization: 'Bearer not-a-token' })).status).toBe(401);
      const badBasic = await get('/api/tasks', { authorization: `Basic ${Buffer.from('annotator:nope').toString('base64')}` });
      expect(badBasic.status).toBe(401);
      expect(await badBasic.json()).toEqual({ detail: 'Invalid username/password.' });
    });

    it('accepts personal access tokens (Bearer) and basic auth, and records the scheme', async () => {
      expect((await get('/api/tasks/7')).status).toBe(200);
      expect(cvat.requests.at(-1)).toMatchObject({ path: '/api/tasks/7', auth: 'bearer', status: 200 });
      const basic = await get('/api/tasks/7', { authorization: `Basic ${Buffer.from('annotator:s3cret!').toString('base64')}` });
      expect(basic.status).toBe(200);
      expect(cvat.requests.at(-1)).toMatchObject({ auth: 'basic' });
    });
  });

  describe('tasks', () => {
    it('pages like DRF: count, absolute next/previous links, newest first', async () => {
      const first = await get('/api/tasks?page_size=10');
      expect(first.headers.get('content-type')).toBe(CVAT_JSON);
      const page1 = (await first.json()) as { count: number; next: string | null; previous: string | null; results: { id: number }[] };
      expect(page1.count).toBe(sandboxIds.length);
      expect(page1.results).toHaveLength(10);
      expect(page1.previous).toBeNull();
      expect(page1.next).toBe(`${cvat.url}/api/tasks?page=2&page_size=10`);

      const ids: number[] = page1.results.map((t) => t.id);
      let next = page1.next;
      let page2Previous: string | null = null;
      while (next) {
        const page = (await (await fetch(next, { headers: bearer })).json()) as typeof page1;
        if (page2Previous === null) page2Previous = page.previous;
        ids.push(...page.results.map((t) => t.id));
        next = page.next;
      }
      expect(ids).toEqual([...sandboxIds].sort((a, b) => b - a));
      expect(page2Previous).toBe(`${cvat.url}/api/tasks?page_size=10`);

      const defaults = (await (await get('/api/tasks')).json()) as typeof page1;
      expect(defaults.results).toHaveLength(10);
      expect(defaults.next).toBe(`${cvat.url}/api/tasks?page=2`);
      const all = (await (await get('/api/tasks?page_size=all')).json()) as typeof page1;
      expect(all.results).toHaveLength(sandboxIds.length);

      const beyond = await get('/api/tasks?page=99');
      expect(beyond.status).toBe(404);
      expect(await beyond.json()).toEqual({ detail: 'Invalid page.' });
    });

    it('filters name= by exact equality and search= by case-insensitive contains, as CVAT does', async () => {
      const byName = (await (await get('/api/tasks?name=lev0042-med0007')).json()) as { count: number; results: { id: number; name: string }[] };
      expect(byName.results.map((t) => t.id)).toEqual([7]);
      const bySearch = (await (await get('/api/tasks?search=LEV0042-med0007&page_size=100')).json()) as typeof byName;
      expect(bySearch.results.map((t) => t.id).sort()).toEqual([7, 8, 9]);
      const sorted = (await (await get('/api/tasks?search=lev0042&sort=name')).json()) as typeof byName;
      expect(sorted.results.map((t) => t.name)).toEqual(['LEV0042-MED0007', 'lev0042-med0007', 'lev0042-med0007-retake']);
    });

    it('serves TaskRead, 404 for unknown ids and no trailing-slash routes', async () => {
      const task = (await (await get('/api/tasks/7')).json()) as Record<string, unknown>;
      expect(task).toMatchObject({
        url: `${cvat.url}/api/tasks/7`,
        id: 7,
        name: 'lev0042-med0007',
        size: 7,
        mode: 'annotation',
        status: 'annotation',
        dimension: '2d',
        organization: null,
        project_id: null,
        subset: '',
        data: expect.any(Number),
        jobs: { count: 1, completed: 0, validation: 0, url: expect.stringContaining('/api/jobs?task_id=7') },
        labels: { url: expect.any(String) },
        owner: expect.objectContaining({ username: 'annotator' }),
      });
      expect(typeof task.created_date).toBe('string');

      const missing = await get('/api/tasks/9999');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ detail: 'Not found.' });
      const slash = await get('/api/tasks/');
      expect(slash.status).toBe(404);
      expect(slash.headers.get('content-type')).toContain('text/html');
    });

    it('serves DataMetaRead with the frames in task order', async () => {
      const meta = (await (await get('/api/tasks/7/data/meta')).json()) as Record<string, unknown>;
      expect(meta).toMatchObject({
        chunk_size: expect.any(Number),
        size: 7,
        image_quality: expect.any(Number),
        start_frame: 0,
        stop_frame: 6,
        frame_filter: '',
        deleted_frames: [],
        included_frames: null,
        chunks_updated_date: expect.any(String),
      });
      expect(meta.frames).toEqual(main.frames.map((f) => ({ width: f.width, height: f.height, name: f.name, related_files: 0, has_related_context: false })));
      expect(meta.frames).toContainEqual(expect.objectContaining({ name: 'IMG_0005_portrait.jpg', width: 1200, height: 1600 }));
    });

    it('serves original frame bytes with their content type, and CVAT 400s for bad parameters', async () => {
      for (const [i, f] of main.frames.entries()) {
        const res = await get(`/api/tasks/7/data?type=frame&number=${i}&quality=original`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(f.name.endsWith('.png') ? 'image/png' : 'image/jpeg');
        expect(Buffer.from(await res.arrayBuffer()).equals(f.body)).toBe(true);
      }
      const slash = await get('/api/tasks/7/data/?type=frame&number=1&quality=compressed');
      expect(slash.status).toBe(200);
      expect(Buffer.from(await slash.arrayBuffer()).equals(main.frames[1].body)).toBe(true);
      expect(cvat.frameDownloads(7, 1)).toBe(2);

      const noType = await get('/api/tasks/7/data?number=1');
      expect([noType.status, await noType.json()]).toEqual([400, ['Data type not specified or has wrong value']]);
      const noNumber = await get('/api/tasks/7/data?type=frame&quality=original');
      expect([noNumber.status, await noNumber.json()]).toEqual([400, ['Number is not specified']]);
      const badQuality = await get('/api/tasks/7/data?type=frame&number=1&quality=best');
      expect([badQuality.status, await badQuality.json()]).toEqual([400, ['Wrong quality value']]);
      const outOfRange = await get('/api/tasks/7/data?type=frame&number=7&quality=original');
      expect([outOfRange.status, await outOfRange.json()]).toEqual([400, "Invalid frame '7'. The frame number should be in the [0, 7] range"]);
    });
  });

  describe('organizations', () => {
    it('shows an organization\'s tasks only in its context (X-Organization or ?org=)', async () => {
      type Page = { count: number; next: string | null; results: { id: number; organization: number | null }[] };
      const plain = (await (await get('/api/tasks?page_size=all')).json()) as Page;
      expect(plain.results.map((t) => t.id)).not.toContain(500);

      const acme = (await (await get('/api/tasks', { ...bearer, 'x-organization': 'acme' })).json()) as Page;
      expect(acme.results.map((t) => t.id)).toEqual([501, 500]);
      expect(acme.results[0].organization).toEqual(expect.any(Number));
      expect(cvat.requests.at(-1)).toMatchObject({ org: 'acme' });

      const byQuery = (await (await get('/api/tasks?org=acme&page_size=1')).json()) as Page;
      expect(byQuery.count).toBe(2);
      expect(byQuery.next).toBe(`${cvat.url}/api/tasks?org=acme&page=2&page_size=1`);
      const named = (await (await get('/api/tasks?name=lev0042-med0007', { ...bearer, 'x-organization': 'acme' })).json()) as Page;
      expect(named.results.map((t) => t.id)).toEqual([500]);
    });

    it('answers 404 for a task outside the request\'s organization context', async () => {
      expect((await get('/api/tasks/500')).status).toBe(404);
      expect((await get('/api/tasks/500/data/meta')).status).toBe(404);
      expect((await get('/api/tasks/500', { ...bearer, 'x-organization': 'acme' })).status).toBe(200);
      expect((await get('/api/tasks/7', { ...bearer, 'x-organization': 'acme' })).status).toBe(404);
      expect((await get('/api/tasks?org=nobody')).status).toBe(404);
      expect((await get('/api/tasks?org=other', { ...bearer, 'x-organization': 'acme' })).status).toBe(400);
    });
  });

  describe('export with the requests API (2.16 and later)', () => {
    type Rq = { id: string; status: string; message: string; progress: number | null; result_url: string | null; operation: { type: string; task_id: number; format: string } };
    const exportPath = '/api/tasks/7/dataset/export?format=CVAT%20for%20images%201.1&save_images=true';
    const post = (p: string) => fetch(`${cvat.url}${p}`, { method: 'POST', headers: bearer });
    const poll = async (rqId: string) => (await (await get(`/api/requests/${encodeURIComponent(rqId)}`)).json()) as Rq;

    it('queues, reports queued/started/finished, and points result_url at CVAT\'s own host', async () => {
      const gone = await get('/api/tasks/7/dataset?format=CVAT%20for%20images%201.1');
      expect(gone.status).toBe(410);

      const started = await post(exportPath);
      expect(started.status).toBe(202);
      const { rq_id: rqId } = (await started.json()) as { rq_id: string };
      expect(rqId).toContain('target_id=7');
      const again = await post(exportPath);
      expect([again.status, await again.json()]).toEqual([409, { rq_id: rqId }]);

      const statuses: Rq[] = [await poll(rqId), await poll(rqId), await poll(rqId), await poll(rqId)];
      expect(statuses.map((s) => s.status)).toEqual(['queued', 'started', 'finished', 'finished']);
      expect(statuses[0]).toMatchObject({ id: rqId, result_url: null, message: '', operation: { type: 'export:dataset', task_id: 7, format: 'CVAT for images 1.1' } });
      const resultUrl = new URL(statuses[2].result_url!);
      expect(resultUrl.host).toBe('cvat.example:8080');
      expect(resultUrl.pathname).toBe('/api/tasks/7/dataset/download');
      expect(resultUrl.searchParams.get('rq_id')).toBe(rqId);
      expect(statuses[2].progress).toBe(1);

      const download = await fetch(`${cvat.url}${resultUrl.pathname}${resultUrl.search}`, { headers: bearer });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/zip');
      expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.zip"$/);
      const zip = Buffer.from(await download.arrayBuffer());
      unzipTest(zip);
      const entries = readZip(zip);
      expect([...entries.keys()]).toEqual(['annotations.xml', ...main.frames.map((f) => `images/${f.name}`)]);
      for (const f of main.frames) expect(entries.get(`images/${f.name}`)!.equals(f.body)).toBe(true);
      const xml = entries.get('annotations.xml')!.toString('utf8');
      expect(xml).toContain('<version>1.1</version>');
      expect(xml).toContain('<image id="4" name="left/IMG_0002.jpg" width="1600" height="1200">');
      expect(xml).toContain('<name>lev0042-med0007</name>');
    });

    it('refuses unknown formats and early downloads; save_images=false leaves the images out', async () => {
      expect((await post('/api/tasks/7/dataset/export?format=NoSuchFormat&save_images=true')).status).toBe(400);
      const started = (await (await post('/api/tasks/7/dataset/export?format=COCO%201.0')).json()) as { rq_id: string };
      const early = await get(`/api/tasks/7/dataset/download?rq_id=${encodeURIComponent(started.rq_id)}`);
      expect(early.status).toBe(400);
      let rq = await poll(started.rq_id);
      while (rq.status !== 'finished') rq = await poll(started.rq_id);
      const url = new URL(rq.result_url!);
      const zip = Buffer.from(await (await get(url.pathname + url.search)).arrayBuffer());
      expect([...readZip(zip).keys()]).toEqual(['annotations.xml']);
    });

    it('fails a request when told to, with a message and no result_url', async () => {
      cvat.faults = { exportFails: true };
      const { rq_id: rqId } = (await (await post(exportPath.replace('CVAT%20for%20images', 'Datumaro').replace('1.1', '1.0'))).json()) as { rq_id: string };
      let rq = await poll(rqId);
      while (rq.status === 'queued' || rq.status === 'started') rq = await poll(rqId);
      expect(rq.status).toBe('failed');
      expect(rq.message).toMatch(/failed/);
      expect(rq.result_url).toBeNull();
    });

    it('serves hostile zip entries when a test supplies them', async () => {
      cvat.faults = {
        exportZipEntries: [
          { name: '../evil.jpg', body: Buffer.from('evil') },
          { name: '/abs.jpg', body: Buffer.from('abs') },
          { name: 'annotations.xml', body: Buffer.from('<annotations/>') },
        ],
      };
      const { rq_id: rqId } = (await (await post(exportPath)).json()) as { rq_id: string };
      let rq = await poll(rqId);
      while (rq.status !== 'finished') rq = await poll(rqId);
      const url = new URL(rq.result_url!);
      const entries = readZip(Buffer.from(await (await get(url.pathname + url.search)).arrayBuffer()));
      expect([...entries.keys()]).toEqual(['../evil.jpg', '/abs.jpg', 'annotations.xml']);
    });
  });

  describe('export on a server older than 2.16', () => {
    let old: CvatStandIn;
    beforeAll(async () => {
      old = await startCvatStandIn({ version: '2.10.0', tasks: [main], accessTokens: [PAT], exportPollsBeforeReady: 2 });
    });
    afterAll(() => old.close());

    it('answers 202 while exporting, 201 when ready, then the zip on action=download', async () => {
      const at = (p: string, init: RequestInit = {}) => fetch(`${old.url}${p}`, { ...init, headers: bearer });
      expect(((await (await at('/api/server/about')).json()) as { version: string }).version).toBe('2.10.0');
      expect((await at('/api/tasks/7/dataset/export?format=CVAT%20for%20images%201.1&save_images=true', { method: 'POST' })).status).toBe(404);
      expect((await at('/api/requests/anything')).status).toBe(404);

      const p = '/api/tasks/7/dataset?format=CVAT%20for%20images%201.1';
      const codes = [(await at(p)).status, (await at(p)).status, (await at(p)).status];
      expect(codes).toEqual([202, 202, 201]);
      const download = await at(`${p}&action=download`);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/zip');
      const entries = readZip(Buffer.from(await download.arrayBuffer()));
      expect(entries.get('images/scan_0007.png')!.equals(main.frames[6].body)).toBe(true);
      // The file is handed out once; the next request starts a new export.
      expect((await at(p)).status).toBe(202);
    });
  });

  describe('faults', () => {
    it('answers 401 to everything while unauthorized', async () => {
      cvat.faults = { unauthorized: true };
      const res = await get('/api/tasks/7');
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ detail: 'Invalid token.' });
      expect(cvat.requests.at(-1)).toMatchObject({ auth: 'bearer', status: 401 });
      cvat.faults = {};
      expect((await get('/api/tasks/7')).status).toBe(200);
    });

    it('fails a frame K times with 500, then serves it, counting every attempt', async () => {
      cvat.faults = { frameErrors: { 2: { status: 500, times: 2 } } };
      const before = cvat.frameDownloads(7, 2);
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await get('/api/tasks/7/data?type=frame&number=2&quality=original')).status);
      expect(codes).toEqual([500, 500, 200]);
      expect(cvat.frameDownloads(7, 2) - before).toBe(3);
      expect(cvat.requests.slice(-3).map((r) => r.status)).toEqual([500, 500, 200]);
    });

    it('throttles frames with 429 and Retry-After (key -1 = any frame)', async () => {
      cvat.faults = { frameErrors: { [-1]: { status: 429, times: 2, retryAfterSeconds: 3 } } };
      const a = await get('/api/tasks/7/data?type=frame&number=1&quality=original');
      const b = await get('/api/tasks/7/data?type=frame&number=3&quality=original');
      const c = await get('/api/tasks/7/data?type=frame&number=3&quality=original');
      expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
      expect(a.headers.get('retry-after')).toBe('3');
      expect(await a.json()).toEqual({ detail: 'Request was throttled. Expected available in 3 seconds.' });
    });

    it('delays a slow frame', async () => {
      cvat.faults = { frameDelayMs: { 1: 300 } };
      const t0 = Date.now();
      const res = await get('/api/tasks/7/data?type=frame&number=1&quality=original');
      await res.arrayBuffer();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    });

    it('fails task lookups K times', async () => {
      cvat.faults = { taskListErrors: { status: 503, times: 2 } };
      expect((await get('/api/tasks?name=lev0042-med0007')).status).toBe(503);
      expect((await get('/api/tasks/7')).status).toBe(503);
      expect((await get('/api/tasks?name=lev0042-med0007')).status).toBe(200);
    });

    it('cuts a frame body short K times', async () => {
      cvat.faults = { truncateFrame: { 4: 1 } };
      const cut = await get('/api/tasks/7/data?type=frame&number=4&quality=original');
      expect(cut.status).toBe(200);
      expect(Number(cut.headers.get('content-length'))).toBe(main.frames[4].body.length);
      await expect(cut.arrayBuffer()).rejects.toThrow();
      const whole = await get('/api/tasks/7/data?type=frame&number=4&quality=original');
      expect(Buffer.from(await whole.arrayBuffer()).equals(main.frames[4].body)).toBe(true);
    });

    it('records method, path, query and headers of every request', async () => {
      await get('/api/tasks?name=x%20y&page=1', { ...bearer, 'x-organization': '' });
      expect(cvat.requests.at(-1)).toMatchObject({
        method: 'GET',
        path: '/api/tasks',
        query: { name: 'x y', page: '1' },
        auth: 'bearer',
        org: '',
        status: 200,
        headers: expect.objectContaining({ authorization: `Bearer ${PAT}` }),
      });
    });
  });

  it('writes zips that unzip accepts', () => {
    const zip = createStoredZip([
      { name: 'a.txt', body: Buffer.from('hello') },
      { name: 'dir/ü.txt', body: Buffer.alloc(0) },
    ]);
    unzipTest(zip);
    expect(readZip(zip).get('a.txt')!.toString()).toBe('hello');
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});
