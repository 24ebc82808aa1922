/**
 * reduceCvatTask --via export against both CVAT export generations, a login token
 * with an organisation, and a zip that tries to escape its folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCvatTaskFixture } from '../support/cvat-fixtures';
import { expectReducedTask } from '../support/cvat-checks';
import { CvatStandIn, startCvatStandIn } from '../support/cvat-stand-in';
import { eventually, rootCause, tempDir, useWorkerAndClient } from '../support/harness';
import { readStored } from '../support/stored-objects';

for (const version of ['2.22.0', '2.10.0']) {
  describe(`reduceCvatTask --via export, CVAT ${version}, login token and organisation`, () => {
    let cvat: CvatStandIn;
    beforeAll(async () => {
      cvat = await startCvatStandIn({
        version,
        username: 'surveyor',
        password: 's3cret-pass',
        exportPollsBeforeReady: 2,
        tasks: [await buildCvatTaskFixture({ id: 7, name: 'lev0042-med0007', organization: 'survey-team', twelveMegapixel: false })],
      });
    });
    afterAll(() => cvat?.close());
    const ctx = useWorkerAndClient('cvat-export', () => ({
      CVAT_HOST: cvat.url,
      CVAT_USERNAME: 'surveyor',
      CVAT_PASSWORD: 's3cret-pass',
      CVAT_ORG: 'survey-team',
    }));

    test('the export path writes the same dataset as the frames path', async () => {
      const destination = `file://${tempDir('cvat-export')}`;
      await ctx.vf.startCvatReduction({ taskName: 'lev0042-med0007', destination, quality: 70, maxSide: 1024, via: 'export' });
      const result = await ctx.vf.cvatReductionResult('lev0042-med0007');
      expect(result).toMatchObject({ frames: 6, uploaded: 6, failed: 0 });
      const report = await expectReducedTask(destination, 70, 1024, { twelveMegapixel: false });
      expect(report).toMatchObject({ status: 'completed', settings: { via: 'export', exportFormat: 'CVAT for images 1.1' } });

      // One login, then the login token, always with the organisation.
      expect(cvat.requests.filter((r) => r.path === '/api/auth/login')).toHaveLength(1);
      const others = cvat.requests.filter((r) => r.path !== '/api/auth/login');
      expect(new Set(others.map((r) => r.auth))).toEqual(new Set(['token']));
      expect(new Set(others.map((r) => r.org))).toEqual(new Set(['survey-team']));
      const exportRequests = others.filter((r) => r.path.includes('/dataset'));
      if (version === '2.22.0') {
        expect(exportRequests.filter((r) => r.method === 'POST' && r.path === '/api/tasks/7/dataset/export')).toHaveLength(1);
        expect(others.some((r) => r.path.startsWith('/api/requests/'))).toBe(true);
      } else {
        expect(exportRequests.some((r) => r.query.action === 'download')).toBe(true);
        expect(others.some((r) => r.path.startsWith('/api/requests/'))).toBe(false);
      }
      // No frame was pulled one by one.
      expect(others.some((r) => /\/data\/?$/.test(r.path))).toBe(false);
    });

    test('a zip with entries escaping the folder is refused before anything is written', async () => {
      cvat.faults = {
        exportZipEntries: [
          { name: 'annotations.xml', body: Buffer.from('<annotations/>') },
          { name: 'images/IMG_0001.jpg', body: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
          { name: '../evil.jpg', body: Buffer.from('x') },
        ],
      };
      const destination = `file://${tempDir('cvat-evil')}`;
      try {
        await ctx.vf.startCvatReduction({ taskName: 'lev0042-med0007', destination, via: 'export' });
        const failed = await ctx.vf.cvatReductionResult('lev0042-med0007').catch((e) => e);
        expect(rootCause(failed)).toContain('zip refused');
        expect(rootCause(failed)).toContain('"../evil.jpg"');
        const stored = await readStored(destination, 'lev0042');
        expect([...stored.keys()]).toEqual(['lev0042/med0007/_report.json']);
        expect(JSON.parse(stored.get('lev0042/med0007/_report.json')!.toString())).toMatchObject({ status: 'failed', summary: { frames: 0 } });
        const folder = fileURLToPath(destination);
        expect(fs.existsSync(path.join(folder, '..', 'evil.jpg'))).toBe(false);
        expect(fs.existsSync(path.join(os.tmpdir(), 'evil.jpg'))).toBe(false);
        expect(leftoverTempDirs()).toEqual([]);
      } finally {
        cvat.faults = {};
      }
    });

    test('cancelling during the export removes the temp folder and still writes the report', async () => {
      const destination = `file://${tempDir('cvat-cancel')}`;
      await ctx.vf.startCvatReduction({ taskName: 'lev0042-med0007', destination, via: 'export' });
      const handle = ctx.vf.client.workflow.getHandle('cvat-reduce-lev0042-med0007');
      await eventually(async () => leftoverTempDirs().length > 0, 20_000, 'the export activity to start');
      await handle.cancel();
      const outcome = await handle.result().catch((e) => e);
      expect(rootCause(outcome)).toMatch(/cancel/i);
      await eventually(async () => leftoverTempDirs().length === 0, 20_000, 'the temp folder to be removed');
      const stored = await readStored(destination, 'lev0042/med0007');
      expect(JSON.parse(stored.get('lev0042/med0007/_report.json')!.toString())).toMatchObject({ status: 'cancelled' });
    });
  });
}

/** Export temp folders the activities left behind. */
function leftoverTempDirs(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('visionflow-cvat-export-'));
}
