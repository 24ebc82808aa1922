/**
 * downloadLabelStudioExport against a real Label Studio server (started by the global
 * setup), with both token kinds: images byte-identical to the uploads, YOLO labels
 * within 1e-6, COCO in pixels, a seeded split, reruns that skip, the CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabelStudioAdmin } from '../support/label-studio';
import { runCli as cli, tempDir, testEnv, useWorkerAndClient } from '../support/harness';
import { scene } from '../support/scenes';
import { rectangleResult } from '../support/label-studio-rectangle';
import sharp from 'sharp';

const LS_URL = process.env.VF_TEST_LS_URL;
const describeLs = LS_URL ? describe : describe.skip;
if (!LS_URL) console.warn('*** SKIPPED: Label Studio tests need a Label Studio server (see test/support/label-studio.ts) ***');

interface Uploaded {
  id: number;
  image: string;
  name: string;
  body: Buffer;
}

/** A rectangle as Label Studio stores it (percent of the image). */
const rect = (x: number, y: number, width: number, height: number, label: string, rotation = 0) => rectangleResult({ x, y, width, height, rotation, rectanglelabels: [label] });

const yolo = (x: number, y: number, w: number, h: number) => [(x + w / 2) / 100, (y + h / 2) / 100, w / 100, h / 100];

function readDataset(destination: string): Map<string, Buffer> {
  const root = fileURLToPath(destination);
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(key);
      else out.set(key, fs.readFileSync(path.join(root, key)));
    }
  };
  walk('');
  return out;
}

function expectLabel(text: string | undefined, expected: [number, number[]][]): void {
  const lines = (text ?? '').trim().split('\n').filter(Boolean);
  expect(lines).toHaveLength(expected.length);
  lines.forEach((line, i) => {
    const [cls, ...nums] = line.split(' ').map(Number);
    expect(cls).toBe(expected[i][0]);
    nums.forEach((n, k) => expect(Math.abs(n - expected[i][1][k])).toBeLessThan(1e-6));
  });
}

describeLs('downloadLabelStudioExport from a real Label Studio', () => {
  let admin: LabelStudioAdmin;
  let projectId: number;
  let tasks: Uploaded[];

  beforeAll(async () => {
    admin = new LabelStudioAdmin(LS_URL!, process.env.VF_TEST_LS_TOKEN!);
    projectId = (await admin.createProject('visionflow cars')).id;
    const files = [
      { name: 'street_a.jpg', body: await scene(61) },
      { name: 'street_b.jpg', body: await scene(62) },
      { name: 'street_c.jpg', body: await scene(63) },
      { name: 'plan.png', body: await sharp(await scene(64)).png().toBuffer() },
      { name: 'empty.jpg', body: await scene(65) },
    ];
    const imported = await admin.importImages(projectId, files);
    tasks = imported.map((t, i) => ({ ...t, body: files[i].body }));
    await admin.annotate(tasks[0].id, [rect(10, 20, 30, 40, 'car'), rect(50.5, 5.25, 12.125, 33.3, 'bus')]);
    await admin.annotate(tasks[1].id, [rect(0, 0, 100, 100, 'bus')]);
    await admin.annotate(tasks[2].id, [rect(5, 5, 10, 10, 'car'), rect(40, 40, 20, 10, 'car', 30)]);
    await admin.annotate(tasks[3].id, [rect(70, 60, 25, 35, 'car')]);
  });

  describe('with the legacy token', () => {
    const ctx = useWorkerAndClient('ls', () => ({ LABEL_STUDIO_URL: LS_URL!, LABEL_STUDIO_TOKEN: process.env.VF_TEST_LS_TOKEN! }));

    test('YOLO dataset: every image byte-identical, labels within 1e-6, classes, data.yaml, export.json, report', async () => {
      const destination = `file://${tempDir('ls-yolo')}`;
      const started = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId }, destination, format: 'yolo' }, 'ls-yolo');
      const result = await ctx.vf.labelStudioResult(started.workflowId);
      expect(result).toMatchObject({ tasks: 5, downloaded: 5, skipped: 0, failed: 0, malformed: 0, classes: ['car', 'bus'], withUnconverted: 1 });

      const files = readDataset(destination);
      for (const task of tasks) {
        const name = path.basename(task.image);
        expect(files.get(`images/${name}`)).toEqual(task.body);
      }
      const labelOf = (t: Uploaded) => files.get(`labels/${path.basename(t.image).replace(/\.[^.]+$/, '')}.txt`)?.toString();
      expectLabel(labelOf(tasks[0]), [
        [0, yolo(10, 20, 30, 40)],
        [1, yolo(50.5, 5.25, 12.125, 33.3)],
      ]);
      expectLabel(labelOf(tasks[1]), [[1, [0.5, 0.5, 1, 1]]]);
      expectLabel(labelOf(tasks[2]), [[0, yolo(5, 5, 10, 10)]]); // the rotated box is reported, not converted
      expectLabel(labelOf(tasks[3]), [[0, yolo(70, 60, 25, 35)]]);
      expect(labelOf(tasks[4])).toBe(''); // a background image
      expect(files.get('classes.txt')!.toString()).toBe('car\nbus\n');
      expect(files.get('data.yaml')!.toString()).toContain('nc: 2');
      expect(JSON.parse(files.get('export.json')!.toString())).toHaveLength(5);

      const report = JSON.parse(files.get('_report.json')!.toString());
      expect(report).toMatchObject({ tokenKind: 'legacy', summary: { tasks: 5, downloaded: 5, withUnconverted: 1 } });
      const rotated = report.tasks.find((t: { taskId: number }) => t.taskId === tasks[2].id);
      expect(rotated.unconverted[0]).toContain('rotated box (30°)');
      expect([...files.keys()].some((k) => k.startsWith('_work'))).toBe(false);

      // A rerun finds every image complete and downloads nothing.
      const again = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId }, destination, format: 'yolo' }, 'ls-yolo-again');
      expect(await ctx.vf.labelStudioResult(again.workflowId)).toMatchObject({ downloaded: 0, skipped: 5 });
    });

    test('COCO boxes in pixels; a seeded train/val split; only annotated tasks', async () => {
      const coco = `file://${tempDir('ls-coco')}`;
      const run = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId, onlyAnnotated: true }, destination: coco, format: 'coco' }, 'ls-coco');
      expect(await ctx.vf.labelStudioResult(run.workflowId)).toMatchObject({ tasks: 4, downloaded: 4 });
      const doc = JSON.parse(readDataset(coco).get('annotations.json')!.toString());
      expect(doc.categories).toEqual([{ id: 0, name: 'car' }, { id: 1, name: 'bus' }]);
      const first = doc.annotations.filter((a: { image_id: number }) => a.image_id === tasks[0].id);
      const expected = [
        [0.1 * 640, 0.2 * 360, 0.3 * 640, 0.4 * 360],
        [0.505 * 640, 0.0525 * 360, 0.12125 * 640, 0.333 * 360],
      ];
      first.forEach((a: { bbox: number[] }, i: number) => a.bbox.forEach((v, k) => expect(Math.abs(v - expected[i][k])).toBeLessThan(1e-6 * 640)));
      expect(doc.images.find((i: { id: number }) => i.id === tasks[0].id)).toMatchObject({ width: 640, height: 360 });

      const split = async (id: string) => {
        const destination = `file://${tempDir(id)}`;
        const r = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId }, destination, split: { val: 0.4, seed: 7 } }, id);
        await ctx.vf.labelStudioResult(r.workflowId);
        return [...readDataset(destination).keys()].filter((k) => k.startsWith('images/')).sort();
      };
      const one = await split('ls-split-1');
      expect(one.filter((k) => k.startsWith('images/val/'))).toHaveLength(2);
      expect(one.filter((k) => k.startsWith('images/train/'))).toHaveLength(3);
      expect(await split('ls-split-2')).toEqual(one);
    });

    test('CLI: --project with --json, --export-file with malformed entries and a missing image', async () => {
      const env = { ...process.env, ...testEnv('ls') };
      const dir = tempDir('ls-cli');
      const ok = await cli(['labelstudio', 'download', '--project', String(projectId), '--to', dir, '--json'], env);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ tasks: 5, downloaded: 5, format: 'yolo' });

      const exported = (await admin.exportJson(projectId, true)) as Record<string, unknown>[];
      const broken = [
        ...exported,
        { id: 9001, data: {} },
        'not a task',
        { id: 9002, data: { image: '/data/upload/999/missing.jpg' } },
        { id: 9003, data: { image: exported[0].data && (exported[0].data as { image: string }).image }, annotations: [{ result: [{ type: 'rectanglelabels', value: { x: 'a' } }] }] },
      ];
      const file = path.join(tempDir('ls-file'), 'export.json');
      fs.writeFileSync(file, JSON.stringify(broken));
      const out = tempDir('ls-cli-file');
      const run = await cli(['labelstudio', 'download', '--export-file', file, '--to', out], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/\[#+\] 9\/9/);
      const report = JSON.parse(fs.readFileSync(path.join(out, '_report.json'), 'utf8'));
      expect(report.summary).toMatchObject({ tasks: 9, downloaded: 5, failed: 1, malformed: 3 });
      const byId = (id: number) => report.tasks.find((t: { taskId: number }) => t.taskId === id);
      expect(byId(9001)).toMatchObject({ status: 'malformed', reason: expect.stringContaining('task 9001') });
      expect(byId(9002)).toMatchObject({ status: 'failed', reason: expect.stringContaining('HTTP') });
      expect(byId(9003)).toMatchObject({ status: 'malformed', reason: expect.stringContaining('x, y, width and height must be numbers') });
      expect(report.tasks.find((t: { taskId: number }) => t.taskId < 0)).toMatchObject({ status: 'malformed', reason: 'entry 6 is not an object' });

      const bad = await cli(['labelstudio', 'download', '--project', String(projectId), '--export-file', file], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('exactly one source');
    });

    test('a folder of YOLO label files plus the uploads URL: images fetched, labels copied as they are', async () => {
      const labelsDir = tempDir('ls-yolo-labels');
      const stems = tasks.slice(0, 3).map((t) => path.basename(t.image).replace(/\.[^.]+$/, ''));
      stems.forEach((stem, i) => fs.writeFileSync(path.join(labelsDir, `${stem}.txt`), `${i % 2} 0.500000 0.500000 0.250000 0.125000\n`));
      fs.writeFileSync(path.join(labelsDir, 'classes.txt'), 'car\nbus\n');
      fs.writeFileSync(path.join(labelsDir, 'broken.txt'), 'car 0.5 0.5\n');
      const out = tempDir('ls-yolo-out');
      const env = { ...process.env, ...testEnv('ls') };
      const run = await cli(['labelstudio', 'download', '--yolo-labels', labelsDir, '--uploads-url', `${LS_URL}/data/upload/${projectId}/`, '--to', out, '--json'], env);
      expect(run.code).toBe(1); // broken.txt is reported as malformed
      expect(JSON.parse(run.stdout)).toMatchObject({ tasks: 4, downloaded: 3, malformed: 1, classes: ['car', 'bus'] });
      tasks.slice(0, 3).forEach((t, i) => {
        expect(fs.readFileSync(path.join(out, 'images', path.basename(t.image)))).toEqual(t.body);
        expect(fs.readFileSync(path.join(out, 'labels', `${stems[i]}.txt`), 'utf8')).toBe(`${i % 2} 0.500000 0.500000 0.250000 0.125000\n`);
      });
      expect(fs.readFileSync(path.join(out, 'classes.txt'), 'utf8')).toBe('car\nbus\n');
    });
  });

  describe('with a personal access token', () => {
    const ctx = useWorkerAndClient('ls-pat', () => ({ LABEL_STUDIO_URL: LS_URL!, LABEL_STUDIO_TOKEN: process.env.VF_TEST_LS_PAT! }));

    test('the refresh token is exchanged for Bearer access tokens and the dataset is complete', async () => {
      const destination = `file://${tempDir('ls-pat')}`;
      const run = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId }, destination }, 'ls-pat');
      expect(await ctx.vf.labelStudioResult(run.workflowId)).toMatchObject({ tasks: 5, downloaded: 5, failed: 0 });
      const files = readDataset(destination);
      for (const task of tasks) expect(files.get(`images/${path.basename(task.image)}`)).toEqual(task.body);
      expect(JSON.parse(files.get('_report.json')!.toString()).tokenKind).toBe('personal');
    });
  });
});
