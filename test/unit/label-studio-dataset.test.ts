/**
 * Downloading planned tasks into a local folder and writing the dataset around them,
 * against the Label Studio stand-in: what is stored is skipped next time without a
 * request, a bad image fails only its task, refused credentials stop the batch, YOLO
 * label folders find the image's real extension, and the YOLO / COCO files and the
 * report say what a user would check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { parse as parseYaml } from 'yaml';
import { DatasetFormat, planFromExport, planFromYoloLabels } from '../../src/lib/label-studio/dataset-plan';
import { downloadTasks, TaskResult } from '../../src/lib/label-studio/download-images';
import { LabelStudioClient, LabelStudioError } from '../../src/lib/label-studio/label-studio-client';
import { writeDataset } from '../../src/lib/label-studio/write-dataset';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { tempDir } from '../support/harness';
import { LabelStudioAdmin } from '../support/label-studio';
import { LsStandIn, startLabelStudioStandIn } from '../support/label-studio-stand-in';
import { scene, truncate } from '../support/scenes';

const LEGACY = 'c0ffee0123456789abcdef0123456789abcdef01';
const CONFIG = '<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image"><Label value="car"/><Label value="person"/></RectangleLabels></View>';
const S3_URI = 's3://vf-bucket/frames/f.jpg';

/** The predicate of src/activities/label-studio.ts, restated: refused credentials on Label Studio stop the run. */
const isFatal = (err: unknown) =>
  (err instanceof LabelStudioError && err.fromLabelStudio && (err.status === 401 || err.status === 403)) ||
  (err instanceof LabelStudioError && err.status === undefined && !err.retryable);

function box(x: number, y: number, width: number, height: number, label: string): unknown {
  return { from_name: 'label', to_name: 'image', type: 'rectanglelabels', original_width: 640, original_height: 360, image_rotation: 0, value: { x, y, width, height, rotation: 0, rectanglelabels: [label] } };
}

const byId = (results: TaskResult[]) => Object.fromEntries(results.map((r) => [r.taskId, r]));

describe('downloadTasks and writeDataset', () => {
  let ls: LsStandIn;
  const img: Record<string, Buffer> = {};

  beforeAll(async () => {
    for (const [name, seed] of [['a', 1], ['b', 2], ['f', 3], ['g', 4]] as const) img[name] = await scene(seed);
    img.c = await sharp(await scene(5, 320, 200)).png().toBuffer();
    ls = await startLabelStudioStandIn({
      legacyToken: LEGACY,
      projectId: 3,
      labelConfig: CONFIG,
      tasks: [
        { id: 1, image: '/data/upload/3/a.jpg', annotations: [[box(10, 20, 30, 40, 'car'), box(50, 10, 20, 50, 'person')]] },
        { id: 2, image: '/data/upload/3/b.jpg' },
        { id: 3, image: '/data/local-files/?d=images/html.jpg' },
        { id: 4, image: '/data/upload/3/trunc.jpg' },
        { id: 5, image: '/data/local-files/?d=images/missing.jpg' },
        { id: 6, image: S3_URI, annotations: [[box(0, 0, 50, 50, 'person')]] },
        { id: 7, image: '{other}/cdn/g.jpg', annotations: [[{ type: 'polygonlabels', value: { points: [[1, 1], [2, 2], [1, 2]], polygonlabels: ['car'] } }]] },
        { id: 8, image: 'ftp://nowhere/x.jpg' },
      ],
      files: {
        '/data/upload/3/a.jpg': { body: img.a },
        '/data/upload/3/b.jpg': { body: img.b },
        '/data/local-files/?d=images/html.jpg': { body: img.a },
        '/data/upload/3/trunc.jpg': { body: truncate(img.a) },
        '/data/upload/3/c.png': { body: img.c },
      },
      otherHostFiles: { '/cdn/g.jpg': { body: img.g }, '/up/c.png': { body: img.c }, '/up/d.jpg': { body: img.a } },
      s3Objects: { [S3_URI]: { body: img.f } },
    });
  });
  afterAll(() => ls?.close());
  beforeEach(() => {
    ls.requests.length = 0;
    ls.faults = { override: { '/data/local-files/?d=images/html.jpg': { status: 200, body: '<!doctype html><html><body>Please log in</body></html>' } } };
  });

  const plan = (format: DatasetFormat, split?: { val: number; seed: number }) => planFromExport(ls.exportTasks(), { format, labelStudioUrl: ls.url, labelConfig: CONFIG, split });
  const client = (token = LEGACY) => new LabelStudioClient({ url: ls.url, token }, { retries: 1, backoffMs: 5 });
  const download = (p: ReturnType<typeof plan>, storage: FileStorage, token?: string, concurrency = 3) =>
    downloadTasks(p.tasks, { client: client(token), storage, concurrency, isFatal });

  test('each task ends with a result; bad bodies and 404 fail only their task; YOLO files and the report follow', async () => {
    const dir = tempDir('ls-yolo');
    const storage = new FileStorage(dir);
    const p = plan('yolo');
    const results = await download(p, storage);
    const r = byId(results);
    expect(results.map((x) => x.taskId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r[1]).toMatchObject({ status: 'downloaded', imageKey: 'images/a.jpg', bytes: img.a.length, width: 640, height: 360 });
    expect(r[2]).toMatchObject({ status: 'downloaded', imageKey: 'images/b.jpg' });
    expect(r[3]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^not an image: '<!doctype html>.*Please log in/) });
    expect(r[4]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^truncated JPEG \(\d+ bytes\)/) });
    expect(r[5]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/HTTP 404/) });
    expect(r[6]).toMatchObject({ status: 'downloaded', imageKey: 'images/f.jpg' });
    expect(r[7]).toMatchObject({ status: 'downloaded', imageKey: 'images/g.jpg' });
    expect(r[8]).toMatchObject({ status: 'malformed', reason: expect.stringMatching(/ftp:\/\/nowhere/) });
    expect(fs.readFileSync(path.join(dir, 'images/a.jpg')).equals(img.a)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'images/f.jpg')).equals(img.f)).toBe(true);
    expect((await storage.list('images/')).map((o) => o.key)).toEqual(['images/a.jpg', 'images/b.jpg', 'images/f.jpg', 'images/g.jpg']);
    // The token went to Label Studio only.
    expect(ls.requests.filter((q) => q.host === 'other').every((q) => q.authorization === undefined)).toBe(true);

    const summary = await writeDataset(storage, p, results, { source: 'test' });
    expect(summary).toEqual({ tasks: 8, downloaded: 4, skipped: 0, failed: 3, malformed: 1, withUnconverted: 1, boxes: 3 });
    const read = (key: string) => fs.readFileSync(path.join(dir, key), 'utf8');
    expect(read('labels/a.txt')).toBe('0 0.250000 0.400000 0.300000 0.400000\n1 0.600000 0.350000 0.200000 0.500000\n');
    expect(read('labels/b.txt')).toBe('');
    expect(read('labels/f.txt')).toBe('1 0.250000 0.250000 0.500000 0.500000\n');
    expect(read('labels/g.txt')).toBe('');
    expect(fs.existsSync(path.join(dir, 'labels/trunc.txt'))).toBe(false);
    expect(read('classes.txt')).toBe('car\nperson\n');
    expect(parseYaml(read('data.yaml'))).toEqual({ path: '.', train: 'images', val: 'images', nc: 2, names: { 0: 'car', 1: 'person' } });
    const report = JSON.parse(read('_report.json'));
    expect(report).toMatchObject({ source: 'test', format: 'yolo', classes: ['car', 'person'], summary });
    expect(report.tasks.map((t: { taskId: number; status: string }) => [t.taskId, t.status])).toEqual([
      [1, 'downloaded'], [2, 'downloaded'], [3, 'failed'], [4, 'failed'], [5, 'failed'], [6, 'downloaded'], [7, 'downloaded'], [8, 'malformed'],
    ]);
    expect(report.tasks[6]).toMatchObject({ image: 'images/g.jpg', boxes: 0, unconverted: [expect.stringMatching(/polygonlabels/)] });
  });

  test('a second run skips what is stored without asking for it again', async () => {
    const dir = tempDir('ls-rerun');
    const storage = new FileStorage(dir);
    const p = plan('yolo');
    await download(p, storage);
    ls.requests.length = 0;
    const again = byId(await download(p, storage));
    for (const id of [1, 2, 6, 7]) expect(again[id]).toMatchObject({ status: 'skipped', width: 640, height: 360 });
    expect(again[1]).toMatchObject({ imageKey: 'images/a.jpg', bytes: img.a.length });
    expect(ls.requests.map((q) => q.path).sort()).toEqual(['/data/local-files/?d=images/html.jpg', '/data/local-files/?d=images/missing.jpg', '/data/upload/3/trunc.jpg']);
  });

  test('refused credentials on Label Studio stop the batch', async () => {
    const storage = new FileStorage(tempDir('ls-401'));
    const p = plan('yolo');
    const seen: TaskResult[] = [];
    const err = await downloadTasks(p.tasks, { client: client('wrong-token'), storage, concurrency: 2, isFatal, onResult: (x) => seen.push(x) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabelStudioError);
    expect(err).toMatchObject({ status: 401, fromLabelStudio: true });
    // Each of the two lanes failed its first task and took no other.
    expect(ls.requests.filter((q) => q.host === 'self').length).toBeLessThanOrEqual(2);
    expect(seen).toEqual([]);
    expect(await storage.list('')).toEqual([]);
  });

  test('a 403 from S3 or a CDN fails only that image', async () => {
    ls.faults = { errors: { '/cdn/': { status: 403, times: 10 } } };
    const r = byId(await download(plan('json'), new FileStorage(tempDir('ls-403'))));
    expect(r[7]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/HTTP 403/) });
    expect(r[1].status).toBe('downloaded');
  });

  test('COCO: boxes in pixels of the image, categories from the classes; with a split, data lands in train/val', async () => {
    const dir = tempDir('ls-coco');
    const storage = new FileStorage(dir);
    const p = plan('coco', { val: 0.5, seed: 3 });
    const results = await download(p, storage);
    await writeDataset(storage, p, results, {});
    const coco = JSON.parse(fs.readFileSync(path.join(dir, 'annotations.json'), 'utf8'));
    expect(coco.categories).toEqual([{ id: 0, name: 'car' }, { id: 1, name: 'person' }]);
    const a = p.tasks.find((t) => t.taskId === 1)!;
    expect(coco.images).toContainEqual({ id: 1, file_name: `${a.subset}/a.jpg`, width: 640, height: 360 });
    expect(coco.images.map((i: { id: number }) => i.id).sort()).toEqual([1, 2, 6, 7]);
    const anns = coco.annotations.filter((x: { image_id: number }) => x.image_id === 1);
    expect(anns).toHaveLength(2);
    const expected = [[64, 72, 192, 144, 0], [320, 36, 128, 180, 1]];
    anns.forEach((ann: { bbox: number[]; category_id: number; area: number }, i: number) => {
      ann.bbox.forEach((v, k) => expect(v).toBeCloseTo(expected[i][k], 6));
      expect(ann.category_id).toBe(expected[i][4]);
      expect(ann.area).toBeCloseTo(expected[i][2] * expected[i][3], 4);
    });
    expect(new Set(coco.annotations.map((x: { id: number }) => x.id)).size).toBe(coco.annotations.length);
    expect(fs.existsSync(path.join(dir, 'data.yaml'))).toBe(false);
    const stored = (await storage.list('images/')).map((o) => o.key);
    expect(stored.every((k) => /^images\/(train|val)\/[^/]+$/.test(k))).toBe(true);

    const yolo = plan('yolo', { val: 0.5, seed: 3 });
    const yoloDir = tempDir('ls-yolo-split');
    await writeDataset(new FileStorage(yoloDir), yolo, await download(yolo, new FileStorage(yoloDir)), {});
    expect(parseYaml(fs.readFileSync(path.join(yoloDir, 'data.yaml'), 'utf8'))).toMatchObject({ train: 'images/train', val: 'images/val', nc: 2 });
    const t1 = yolo.tasks.find((t) => t.taskId === 1)!;
    expect(fs.existsSync(path.join(yoloDir, `labels/${t1.subset}/a.txt`))).toBe(true);
  });

  test('YOLO label folders: the image extension is found by trying alternatives, the key follows what arrived', async () => {
    const dir = tempDir('ls-labels');
    const storage = new FileStorage(dir);
    const files = [
      { name: 'classes.txt', text: 'car\nperson\n' },
      { name: 'c.txt', text: '1 0.5 0.5 0.2 0.2' },
      { name: 'd.txt', text: '0 0.1 0.1 0.1 0.1\n' },
      { name: 'e.txt', text: '' },
    ];
    const p = planFromYoloLabels(files, `${ls.otherUrl}/up`, { format: 'yolo', labelStudioUrl: ls.url });
    const results = await downloadTasks(p.tasks, { client: client(), storage, concurrency: 2, isFatal });
    const r = Object.fromEntries(results.map((x) => [p.tasks.find((t) => t.taskId === x.taskId)!.fileName, x]));
    expect(r['c.jpg']).toMatchObject({ status: 'downloaded', imageKey: 'images/c.png', width: 320, height: 200 });
    expect(r['d.jpg']).toMatchObject({ status: 'downloaded', imageKey: 'images/d.jpg' });
    expect(r['e.jpg']).toMatchObject({ status: 'failed', reason: expect.stringMatching(/HTTP 404/) });
    expect(ls.requests.filter((q) => q.path.startsWith('/up/c.')).map((q) => [q.path, q.status])).toEqual([
      ['/up/c.jpg', 404],
      ['/up/c.jpeg', 404],
      ['/up/c.png', 200],
    ]);
    expect(fs.readFileSync(path.join(dir, 'images/c.png')).equals(img.c)).toBe(true);
    await writeDataset(storage, p, results, {});
    expect(fs.readFileSync(path.join(dir, 'labels/c.txt'), 'utf8')).toBe('1 0.5 0.5 0.2 0.2\n');
    expect(fs.readFileSync(path.join(dir, 'classes.txt'), 'utf8')).toBe('car\nperson\n');

    ls.requests.length = 0;
    const again = await downloadTasks(p.tasks, { client: client(), storage, concurrency: 2, isFatal });
    expect(again.find((x) => x.imageKey === 'images/c.png')).toMatchObject({ status: 'skipped', width: 320, height: 200 });
    expect(ls.requests.some((q) => q.path.startsWith('/up/c.') || q.path.startsWith('/up/d.'))).toBe(false);
  });

  // Regression (see the real Label Studio test below): on the Label Studio host a missing upload is a 500, not a 404.
  test('YOLO label folders: a PNG among Label Studio uploads is found', async () => {
    const p = planFromYoloLabels([{ name: 'c.txt', text: '' }], `${ls.url}/data/upload/3`, { format: 'yolo', labelStudioUrl: ls.url });
    expect(p.tasks[0].ref?.kind).toBe('label-studio');
    const [c] = await downloadTasks(p.tasks, { client: client(), storage: new FileStorage(tempDir('ls-labels-ls')), concurrency: 1, isFatal });
    expect(c).toMatchObject({ status: 'downloaded', imageKey: 'images/c.png' });
  });
});

// BUG: alternatives are tried only after a 404, but Label Studio 1.23.2 answers a missing upload under
// /data/upload/ with HTTP 500 ("'NoneType' object has no attribute 'has_permission'"), as the stand-in
// does too. So an upload that is not a .jpg is never found: the task fails after retrying the 500.
const realUrl = process.env.VF_TEST_LS_URL;
(realUrl ? describe : describe.skip)('YOLO label folders against a real Label Studio', () => {
  test('a PNG upload is found although its label file does not say the extension', async () => {
    const admin = new LabelStudioAdmin(realUrl!, process.env.VF_TEST_LS_TOKEN!);
    const project = await admin.createProject(`yolo-alternatives-${Date.now()}`);
    const png = await sharp(await scene(9, 96, 64)).png().toBuffer();
    const [uploaded] = await admin.importImages(project.id, [{ name: 'street.png', body: png }]);
    const stem = path.basename(new URL(uploaded.image, realUrl).pathname).replace(/\.png$/, '');
    const p = planFromYoloLabels([{ name: `${stem}.txt`, text: '0 0.5 0.5 0.5 0.5\n' }], `${realUrl}/data/upload/${project.id}`, { format: 'yolo', labelStudioUrl: realUrl });
    const storage = new FileStorage(tempDir('ls-real-labels'));
    const client = new LabelStudioClient({ url: realUrl, token: process.env.VF_TEST_LS_TOKEN }, { retries: 1, backoffMs: 5 });
    const [result] = await downloadTasks(p.tasks, { client, storage, concurrency: 1, isFatal });
    expect(result).toMatchObject({ status: 'downloaded', imageKey: `images/${stem}.png`, width: 96, height: 64 });
  });
});
