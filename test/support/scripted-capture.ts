/**
 * The scripted camera of issue 2, shared by the local-folder and the S3 tests: every
 * kind of good, repeated and bad response, then the exact files, manifest and
 * counters a user would check.
 */
import { createHash } from 'node:crypto';
import { Visionflow } from '../../src/client';
import { CaptureStatus } from '../../src/workflows/capture-signals';
import { CameraResponse, startFakeCamera } from './fake-camera';
import { reencodeWithNoise, scene, tinyImage, truncate } from './scenes';
import { readStored } from './stored-objects';

const jpeg = (body: Buffer, etag: string, lastModified: string): CameraResponse => ({
  body,
  headers: { 'content-type': 'image/jpeg', etag, 'last-modified': lastModified },
});

export async function runScriptedCapture(vf: Visionflow, destination: string, cameraId: string): Promise<void> {
  const a = await scene(1);
  const aNoisy = await reencodeWithNoise(a, 7);
  const b = await scene(3);
  const c = await scene(2);
  const script: CameraResponse[] = [
    jpeg(a, '"a"', 'Sat, 21 Nov 2026 10:15:00 GMT'),
    jpeg(a, '"a"', 'Sat, 21 Nov 2026 10:15:00 GMT'), // same bytes, server ignores If-None-Match
    jpeg(aNoisy, '"a2"', 'Sat, 21 Nov 2026 10:16:00 GMT'),
    { body: '<html><body><h1>Service unavailable</h1></body></html>', headers: { 'content-type': 'text/html' } },
    { body: 'Device Busy', headers: { 'content-type': 'text/plain' } },
    { status: 404, body: 'not found' },
    { status: 500, body: 'internal error' },
    { ...jpeg(b, '"b"', 'Sat, 21 Nov 2026 10:17:00 GMT'), delayMs: 4000 },
    jpeg(truncate(b), '"b"', 'Sat, 21 Nov 2026 10:17:00 GMT'),
    jpeg(await tinyImage(), '"t"', 'Sat, 21 Nov 2026 10:17:30 GMT'),
    { notModifiedIfConditional: true, status: 500, body: 'expected a conditional request' },
    jpeg(b, '"b"', 'Sat, 21 Nov 2026 10:18:00 GMT'),
    jpeg(c, '"c"', 'Sat, 21 Nov 2026 10:19:00 GMT'),
  ];
  const camera = await startFakeCamera(script);
  try {
    await vf.startCapture({
      cameraId,
      url: camera.url,
      destination,
      everyMs: 1000,
      fetchTimeoutMs: 1500,
      retries: 0,
      maxImages: 3,
    });
    const final = (await vf.client.workflow.getHandle(`capture-${cameraId}`).result()) as CaptureStatus;

    expect(final.state).toBe('completed');
    expect(final.counters).toEqual({
      fetched: 13,
      kept: 3,
      duplicate: 3,
      duplicateBy: { identical_bytes: 1, similar: 1, not_modified: 1 },
      rejected: 7,
      rejectedBy: { not_image: 2, http_404: 1, http_500: 1, timeout: 1, truncated: 1, too_small: 1 },
    });
    expect(camera.requests).toHaveLength(13);
    expect(camera.requests[0].headers['if-none-match']).toBeUndefined();
    expect(camera.requests[1].headers['if-none-match']).toBe('"a"');
    expect(camera.requests[1].headers['if-modified-since']).toBe('Sat, 21 Nov 2026 10:15:00 GMT');
    expect(camera.requests[10].headers['if-none-match']).toBe('"a2"');

    const stored = await readStored(destination, cameraId);
    const images = [...stored.keys()].filter((k) => k.endsWith('.jpg'));
    expect(images).toHaveLength(3);
    for (const key of images) expect(key).toMatch(new RegExp(`^${cameraId}/\\d{8}T\\d{6}Z\\.jpg$`));
    // Names sort in capture order and hold the camera's bytes unchanged.
    expect(images.map((k) => stored.get(k))).toEqual([a, b, c]);
    expect([...stored.keys()].sort()).toEqual([...images, `${cameraId}/manifest.jsonl`, `${cameraId}/state.json`].sort());

    const lines = stored.get(`${cameraId}/manifest.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).toEqual(images);
    const expected = [
      { body: a, etag: '"a"', lastModified: 'Sat, 21 Nov 2026 10:15:00 GMT' },
      { body: b, etag: '"b"', lastModified: 'Sat, 21 Nov 2026 10:18:00 GMT' },
      { body: c, etag: '"c"', lastModified: 'Sat, 21 Nov 2026 10:19:00 GMT' },
    ];
    lines.forEach((line, i) => {
      expect(line).toMatchObject({
        bytes: expected[i].body.length,
        sha256: createHash('sha256').update(expected[i].body).digest('hex'),
        url: camera.url,
        etag: expected[i].etag,
        lastModified: expected[i].lastModified,
        hashKind: 'phash',
        format: 'jpeg',
        width: 640,
        height: 360,
      });
      expect(line.hash).toMatch(/^[0-9a-f]{16}$/);
      // The file name is the tick, in UTC.
      const stamp = new Date(line.tick).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
      expect(line.key).toBe(`${cameraId}/${stamp}.jpg`);
    });
    expect(lines[0].distance).toBeNull();
    expect(lines[1].distance).toBeGreaterThan(final.maxDistance);
    expect(final.lastKept?.key).toBe(images[2]);
  } finally {
    await camera.close();
  }
}
