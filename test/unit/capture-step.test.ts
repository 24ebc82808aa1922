import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hammingDistance } from '../../src/lib/hash/hamming';
import { perceptualHash } from '../../src/lib/hash/perceptual-hash';
import { imageKey, manifestKey, stateKey } from '../../src/lib/camera/capture-keys';
import { CaptureInput, normalizeCaptureOptions } from '../../src/lib/camera/capture-options';
import { captureStep, CaptureStepResult } from '../../src/lib/camera/capture-step';
import { DedupeState } from '../../src/lib/camera/dedupe-state';
import { appendManifestLine, ManifestLine, readManifest } from '../../src/lib/camera/manifest';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { CameraResponse, FakeCamera, startFakeCamera } from '../support/fake-camera';
import { reencodeWithNoise, scene } from '../support/scenes';

const CAM = 'CWL9018';
const T0 = Date.UTC(2026, 10, 21, 10, 15, 0);
const MINUTE = 60_000;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const jpeg = (body: Buffer): CameraResponse => ({ body, headers: { 'content-type': 'image/jpeg' } });

let a: Buffer; // a street scene
let aNoisy: Buffer; // the same scene, next exposure
let b: Buffer; // another scene
beforeAll(async () => {
  [a, b] = await Promise.all([scene(1), scene(3)]);
  aNoisy = await reencodeWithNoise(a, 8); // pHash distance 2 from a
});

let root: string;
let storage: FileStorage;
let camera: FakeCamera;
beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-capture-step-'));
  storage = new FileStorage(root);
  camera = await startFakeCamera([{ status: 500, body: 'no script' }]);
});
afterEach(async () => {
  await camera.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function options(extra: Partial<CaptureInput> = {}) {
  return normalizeCaptureOptions({ cameraId: CAM, url: camera.url, destination: `file://${root}`, retries: 0, fetchTimeoutMs: 2000, ...extra });
}

/** One tick: the camera answers `response`, the step runs with `state` (null: read storage). */
async function tick(
  n: number,
  response: CameraResponse,
  state: DedupeState | null,
  extra: Partial<CaptureInput> = {},
  s: FileStorage = storage,
): Promise<CaptureStepResult> {
  camera.setScript([response]);
  return captureStep({ options: options(extra), tickMs: T0 + n * MINUTE, state, mayHaveStored: false }, { storage: s });
}

function manifest(): ManifestLine[] {
  const file = path.join(root, CAM, 'manifest.jsonl');
  return fs.existsSync(file) ? readManifest(fs.readFileSync(file, 'utf8')) : [];
}

function imagesOnDisk(): string[] {
  return fs.readdirSync(path.join(root, CAM)).filter((f) => f.endsWith('.jpg')).sort();
}

test('kept, then identical bytes, then similar, then kept for a different scene', async () => {
  const r1 = await tick(0, jpeg(a), null);
  expect(r1.tick).toMatchObject({ outcome: 'kept', key: `${CAM}/20261121T101500Z.jpg`, sha256: sha256(a), bytes: a.length, distance: null });
  expect(fs.readFileSync(path.join(root, CAM, '20261121T101500Z.jpg')).equals(a)).toBe(true);

  const r2 = await tick(1, jpeg(a), r1.state);
  expect(r2.tick).toMatchObject({ outcome: 'duplicate', reason: 'identical_bytes' });

  const r3 = await tick(2, jpeg(aNoisy), r2.state);
  expect(r3.tick).toMatchObject({ outcome: 'duplicate', reason: 'similar' });
  const d3 = r3.tick.outcome === 'duplicate' ? r3.tick.distance : -1;
  expect(d3).toBeGreaterThanOrEqual(0);
  expect(d3).toBeLessThanOrEqual(4);

  const r4 = await tick(3, jpeg(b), r3.state);
  expect(r4.tick).toMatchObject({ outcome: 'kept', key: `${CAM}/20261121T101800Z.jpg` });
  expect(r4.tick.outcome === 'kept' && r4.tick.distance).toBeGreaterThan(4);

  expect(imagesOnDisk()).toEqual(['20261121T101500Z.jpg', '20261121T101800Z.jpg']);
  const lines = manifest();
  expect(lines.map((l) => l.key)).toEqual([`${CAM}/20261121T101500Z.jpg`, `${CAM}/20261121T101800Z.jpg`]);
  expect(lines[0]).toMatchObject({
    tick: '2026-11-21T10:15:00.000Z',
    bytes: a.length,
    sha256: sha256(a),
    hash: (await perceptualHash(a, 'phash')).hash,
    hashKind: 'phash',
    distance: null,
    width: 640,
    height: 360,
    format: 'jpeg',
    contentType: 'image/jpeg',
    url: camera.url,
  });
  expect(camera.requests).toHaveLength(4);
});

test('state.json is written and read back when the caller passes no state', async () => {
  await tick(0, jpeg(a), null);
  const saved = JSON.parse(fs.readFileSync(path.join(root, CAM, 'state.json'), 'utf8')) as DedupeState;
  expect(saved.recent).toEqual([{ hash: (await perceptualHash(a, 'phash')).hash, sha256: sha256(a) }]);
  expect(saved.lastKept?.key).toBe(`${CAM}/20261121T101500Z.jpg`);

  // A new run (fresh storage object, no state in hand) still knows this image.
  const again = await tick(5, jpeg(a), null, {}, new FileStorage(root));
  expect(again.tick).toMatchObject({ outcome: 'duplicate', reason: 'identical_bytes' });
  const similar = await tick(6, jpeg(aNoisy), null, {}, new FileStorage(root));
  expect(similar.tick).toMatchObject({ outcome: 'duplicate', reason: 'similar' });
  expect(imagesOnDisk()).toHaveLength(1);
});

test('window=2 catches A, B, A as a duplicate; window=1 keeps the second A', async () => {
  async function run(window: number): Promise<string[]> {
    let state: DedupeState | null = null;
    const outcomes: string[] = [];
    for (const [n, body] of [a, b, aNoisy].entries()) {
      const r = await tick(n, jpeg(body), state, { window });
      outcomes.push(r.tick.outcome === 'duplicate' ? `duplicate:${r.tick.reason}` : r.tick.outcome);
      state = r.state;
    }
    return outcomes;
  }
  expect(await run(2)).toEqual(['kept', 'kept', 'duplicate:similar']);
  fs.rmSync(path.join(root, CAM), { recursive: true });
  expect(await run(1)).toEqual(['kept', 'kept', 'kept']);
});

test('window=2 also remembers the bytes of the last-but-one kept image', async () => {
  const r1 = await tick(0, jpeg(a), null, { window: 2 });
  const r2 = await tick(1, jpeg(b), r1.state, { window: 2 });
  const r3 = await tick(2, jpeg(a), r2.state, { window: 2 });
  expect(r3.tick).toMatchObject({ outcome: 'duplicate', reason: 'identical_bytes' });
});

test('maxDistance 0 keeps a re-encoded image whose hash differs', async () => {
  const hashA = (await perceptualHash(a, 'phash')).hash;
  const hashNoisy = (await perceptualHash(aNoisy, 'phash')).hash;
  expect(hammingDistance(hashA, hashNoisy)).toBeGreaterThan(0);

  const r1 = await tick(0, jpeg(a), null, { maxDistance: 0 });
  const r2 = await tick(1, jpeg(aNoisy), r1.state, { maxDistance: 0 });
  expect(r2.tick).toMatchObject({ outcome: 'kept', distance: hammingDistance(hashA, hashNoisy) });
  expect(imagesOnDisk()).toHaveLength(2);
});

test('an error page served with 200 is rejected and its ETag is not sent back', async () => {
  const r1 = await tick(0, { ...jpeg(a), headers: { 'content-type': 'image/jpeg', etag: '"a"' } }, null);
  const r2 = await tick(1, { body: '<html>Device Busy</html>', headers: { 'content-type': 'text/html', etag: '"busy"' } }, r1.state);
  expect(r2.tick).toMatchObject({ outcome: 'rejected', reason: 'not_image' });
  const r3 = await tick(2, { notModifiedIfConditional: true, status: 500 }, r2.state);
  expect(camera.requests[2].headers['if-none-match']).toBe('"a"');
  expect(r3.tick).toMatchObject({ outcome: 'duplicate', reason: 'not_modified' });
  expect(manifest()).toHaveLength(1);
});

test('resume: an image already stored for the tick is kept without fetching, with one manifest line', async () => {
  const key = imageKey(CAM, T0, 'jpg');
  await storage.put(key, a); // an earlier attempt died right after this put
  camera.setScript([jpeg(b)]);
  const input = { options: options(), tickMs: T0, state: null, mayHaveStored: true };

  const r = await captureStep(input, { storage });
  expect(r.tick).toMatchObject({ outcome: 'kept', key, sha256: sha256(a), bytes: a.length });
  expect(camera.requests).toHaveLength(0);
  expect(manifest().map((l) => l.key)).toEqual([key]);
  expect(JSON.parse((await storage.get(stateKey(CAM)))!.toString()).lastKept.key).toBe(key);

  // A second retry of the same tick changes nothing.
  await captureStep(input, { storage });
  expect(camera.requests).toHaveLength(0);
  expect(manifest().map((l) => l.key)).toEqual([key]);
  expect(imagesOnDisk()).toEqual(['20261121T101500Z.jpg']);
});

// Regression (src/lib/camera/capture-step.ts, resumeStoredTick -> finishKept): when the retried
// attempt gets state null (always so in captureCameraOnce / scheduled runs), the state is
// read from storage, which already lists the tick's image if the crash came after
// saveDedupeState; finishKept appends it again, so state.json holds [B, B] instead of
// [A, B] and with window=2 an A-like frame on the next tick is kept as new.
test('resume after the state was saved does not add the image to the window twice', async () => {
  const r1 = await tick(0, jpeg(a), null, { window: 2 });
  await tick(1, jpeg(b), r1.state, { window: 2 });
  const before = JSON.parse((await storage.get(stateKey(CAM)))!.toString()) as DedupeState;
  expect(before.recent.map((r) => r.sha256)).toEqual([sha256(a), sha256(b)]);

  // The activity for tick 1 is retried (attempt 2) after it had already finished everything.
  await captureStep({ options: options({ window: 2 }), tickMs: T0 + MINUTE, state: null, mayHaveStored: true }, { storage });
  const after = JSON.parse((await storage.get(stateKey(CAM)))!.toString()) as DedupeState;
  expect(after.recent.map((r) => r.sha256)).toEqual([sha256(a), sha256(b)]);

  const r3 = await tick(2, jpeg(aNoisy), null, { window: 2 });
  expect(r3.tick).toMatchObject({ outcome: 'duplicate', reason: 'similar' });
});

test('resume with nothing stored for the tick fetches as usual', async () => {
  camera.setScript([jpeg(a)]);
  const r = await captureStep({ options: options(), tickMs: T0, state: null, mayHaveStored: true }, { storage });
  expect(r.tick).toMatchObject({ outcome: 'kept', key: imageKey(CAM, T0, 'jpg') });
  expect(camera.requests).toHaveLength(1);
});

describe('appendManifestLine', () => {
  const line = (key: string): ManifestLine => ({
    tick: '2026-11-21T10:15:00.000Z',
    fetchedAt: '2026-11-21T10:15:01.000Z',
    key,
    bytes: 10,
    sha256: 'x',
    hash: '0000000000000000',
    hashKind: 'phash',
    distance: null,
    width: 640,
    height: 360,
    format: 'jpeg',
    contentType: 'image/jpeg',
    url: 'http://cam/snap.jpg',
    lastModified: null,
    etag: null,
  });

  test('the same key twice leaves one line; another key adds one', async () => {
    await appendManifestLine(storage, CAM, line(`${CAM}/1.jpg`));
    await appendManifestLine(storage, CAM, line(`${CAM}/1.jpg`));
    await appendManifestLine(storage, CAM, line(`${CAM}/2.jpg`));
    const text = (await storage.get(manifestKey(CAM)))!.toString();
    expect(text.split('\n')).toHaveLength(3); // two lines and the final newline
    expect(readManifest(text).map((l) => l.key)).toEqual([`${CAM}/1.jpg`, `${CAM}/2.jpg`]);
  });

  test('a manifest without a final newline gets one before the new line', async () => {
    await storage.put(manifestKey(CAM), JSON.stringify(line(`${CAM}/1.jpg`)));
    await appendManifestLine(storage, CAM, line(`${CAM}/2.jpg`));
    expect(readManifest((await storage.get(manifestKey(CAM)))!.toString()).map((l) => l.key)).toEqual([`${CAM}/1.jpg`, `${CAM}/2.jpg`]);
  });
});
