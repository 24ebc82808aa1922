/**
 * Kill the worker process (SIGKILL) in the middle of a CVAT reduction, start another:
 * the run completes and no frame is uploaded twice (PUTs counted in front of MinIO).
 */
import { ChildProcess } from 'node:child_process';
import { Visionflow } from '../../src/client';
import { CountingProxy, startCountingProxy } from '../support/counting-proxy';
import { buildSmallTask } from '../support/cvat-fixtures';
import { CvatStandIn, startCvatStandIn } from '../support/cvat-stand-in';
import { connectClient, eventually, s3Available, spawnWorkerProcess, testConfig, testEnv } from '../support/harness';
import { readStored } from '../support/stored-objects';

const describeS3 = s3Available() ? describe : describe.skip;
const FRAMES = 40;

describeS3('reduceCvatTask survives a worker crash', () => {
  let cvat: CvatStandIn;
  let proxy: CountingProxy;
  let vf: Visionflow;
  const workers: ChildProcess[] = [];
  const bucket = process.env.VF_TEST_S3_BUCKET!;

  beforeAll(async () => {
    const task = await buildSmallTask({ id: 40, name: 'lev7-crash', frameCount: FRAMES });
    cvat = await startCvatStandIn({ accessTokens: ['pat-crash'], tasks: [task] });
    // Slow frames keep downloads in flight while the worker dies.
    cvat.faults = { frameDelayMs: Object.fromEntries(task.frames.map((_, i) => [i, 150])) };
    proxy = await startCountingProxy(process.env.VF_TEST_S3_ENDPOINT!);
    vf = await connectClient(testConfig('cvat-crash'));
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await vf?.close();
    await cvat?.close();
    await proxy?.close();
  });

  test('kill -9 mid-run, new worker: every frame uploaded exactly once', async () => {
    const env = testEnv('cvat-crash', { CVAT_HOST: cvat.url, CVAT_ACCESS_TOKEN: 'pat-crash', S3_ENDPOINT: proxy.url });
    const framePuts = () => [...proxy.puts.entries()].filter(([key]) => key.startsWith(`/${bucket}/crash/lev7/crash/frame_`));

    workers.push(await spawnWorkerProcess(env));
    await vf.startCvatReduction({ taskName: 'lev7-crash', destination: `s3://${bucket}/crash`, quality: 60, batchSize: 8 });
    await eventually(async () => framePuts().length >= 12, 60_000, 'a dozen frames uploaded');
    workers[0].kill('SIGKILL');
    await new Promise((r) => workers[0].once('exit', r));
    const uploadedAtCrash = framePuts().length;
    expect(uploadedAtCrash).toBeLessThan(FRAMES);

    workers.push(await spawnWorkerProcess(env));
    const result = await vf.cvatReductionResult('lev7-crash');
    expect(result).toMatchObject({ state: 'completed', frames: FRAMES, failed: 0 });
    expect(result.uploaded + result.skipped).toBe(FRAMES);

    const puts = framePuts();
    expect(puts).toHaveLength(FRAMES);
    expect(puts.filter(([, count]) => count !== 1)).toEqual([]);
    const stored = await readStored(`s3://${bucket}/crash`, 'lev7/crash');
    expect([...stored.keys()].filter((k) => k.endsWith('.jpg'))).toHaveLength(FRAMES);
    const report = JSON.parse(stored.get('lev7/crash/_report.json')!.toString());
    expect(report.summary).toMatchObject({ frames: FRAMES, failed: 0 });
    expect(report.frames.map((f: { frame: number }) => f.frame)).toEqual([...Array(FRAMES).keys()]);
  });
});
