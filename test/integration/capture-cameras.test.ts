import { startCameraCatalog } from '../support/camera-catalog';
import { FakeCamera, startFakeCamera } from '../support/fake-camera';
import { eventually, tempDir, useWorkerAndClient } from '../support/harness';
import { scene } from '../support/scenes';
import { readStored } from '../support/stored-objects';

describe('captureCameras from a Grand Lyon catalog', () => {
  const ctx = useWorkerAndClient('batch');
  const cameras: FakeCamera[] = [];
  afterAll(() => Promise.all(cameras.map((c) => c.close())));

  test('one child per camera across catalog pages; bad entries reported; stop stops them all', async () => {
    cameras.push(await startFakeCamera([{ body: await scene(31) }]));
    cameras.push(await startFakeCamera([{ body: await scene(32) }]));
    cameras.push(await startFakeCamera([{ status: 503, body: 'busy' }]));
    const catalog = await startCameraCatalog([
      [
        { numeromaintenance: 'CWL9018', nom: 'Quai Perrache', url: cameras[0].url, gid: 1 },
        { numeromaintenance: 'CWL9019', nom: 'Pont Pasteur', url: cameras[1].url, gid: 2 },
      ],
      [
        { numeromaintenance: 'CWL9020', nom: 'Tunnel', url: cameras[2].url, gid: 3 },
        { numeromaintenance: 'BAD/ID', nom: 'broken', url: cameras[2].url, gid: 4 },
      ],
    ]);
    const destination = `file://${tempDir('batch')}`;
    try {
      const started = await ctx.vf.startCaptures({
        catalogUrl: catalog.url,
        options: { destination, everyMs: 1000, retries: 0 },
        batchId: 'capture-batch-test',
      });
      await eventually(async () => {
        const kept = await Promise.all(['CWL9018', 'CWL9019'].map(async (id) => (await ctx.vf.captureStatus(id)).counters.kept));
        return kept.every((k) => k === 1);
      }, 60_000, 'one kept image per working camera');
      await eventually(async () => (await ctx.vf.captureStatus('CWL9020')).counters.rejectedBy.http_503 >= 1, 30_000, 'the 503 camera counted');

      const status = await ctx.vf.batchStatus(started.workflowId);
      expect(status.cameras.map((c) => c.id)).toEqual(['CWL9018', 'CWL9019', 'CWL9020']);
      expect(status.problems).toHaveLength(1);
      expect(status.problems[0]).toContain('BAD/ID');

      const final = await ctx.vf.stopBatch(started.workflowId);
      expect(final.cameras.map((c) => [c.id, c.state, c.kept])).toEqual([
        ['CWL9018', 'stopped', 1],
        ['CWL9019', 'stopped', 1],
        ['CWL9020', 'stopped', 0],
      ]);
      for (const id of ['CWL9018', 'CWL9019']) {
        const stored = await readStored(destination, id);
        expect([...stored.keys()].filter((k) => k.endsWith('.jpg'))).toHaveLength(1);
      }
      expect([...(await readStored(destination, 'CWL9020')).keys()]).toEqual([]);
    } finally {
      await catalog.close();
    }
  });
});
