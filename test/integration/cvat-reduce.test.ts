/**
 * reduceCvatTask against the CVAT stand-in and a real MinIO (through a proxy that
 * counts PUTs), frame by frame, with a personal access token.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { CountingProxy, startCountingProxy } from '../support/counting-proxy';
import { expectReducedTask, EXPECTED_KEYS } from '../support/cvat-checks';
import { buildCvatTaskFixture, buildSmallTask } from '../support/cvat-fixtures';
import { CvatStandIn, startCvatStandIn } from '../support/cvat-stand-in';
import { rootCause, runCli as run, s3Available, testEnv, useWorkerAndClient } from '../support/harness';
import { readStored } from '../support/stored-objects';

const describeS3 = s3Available() ? describe : describe.skip;
if (!s3Available()) console.warn('*** SKIPPED: CVAT reduction to S3 needs MinIO ***');

describeS3('reduceCvatTask, frames path, to S3', () => {
  let cvat: CvatStandIn;
  let proxy: CountingProxy;
  const bucket = process.env.VF_TEST_S3_BUCKET!;
  const destination = `s3://${bucket}/reduced`;
  beforeAll(async () => {
    const decoys = await Promise.all(
      Array.from({ length: 5 }, (_, i) => buildSmallTask({ id: 100 + i, name: `lev0042-med000${i}-old`, frameCount: 1 })),
    );
    cvat = await startCvatStandIn({
      accessTokens: ['pat-test-token'],
      pageSize: 2,
      tasks: [
        await buildCvatTaskFixture({ id: 7, name: 'lev0042-med0007' }),
        ...decoys,
        await buildSmallTask({ id: 20, name: 'lev9-twin', frameCount: 1 }),
        await buildSmallTask({ id: 21, name: 'lev9-twin', frameCount: 1 }),
        await buildSmallTask({ id: 30, name: 'lev5-faulty', frameCount: 4 }),
      ],
    });
    proxy = await startCountingProxy(process.env.VF_TEST_S3_ENDPOINT!);
  });
  afterAll(async () => {
    await cvat?.close();
    await proxy?.close();
  });
  const ctx = useWorkerAndClient('cvat', () => ({ CVAT_HOST: cvat.url, CVAT_ACCESS_TOKEN: 'pat-test-token', S3_ENDPOINT: proxy.url }));

  const framePuts = () =>
    EXPECTED_KEYS.map((k) => proxy.puts.get(`/${bucket}/reduced/${k}`) ?? 0);

  test('every frame lands under <prefix>/<lev>/<med>/<name> as a JPEG of the asked quality and size, with a report', async () => {
    await ctx.vf.startCvatReduction({ taskName: 'lev0042-med0007', destination, quality: 60, maxSide: 2048, batchSize: 3 });
    const result = await ctx.vf.cvatReductionResult('lev0042-med0007');
    expect(result).toMatchObject({ state: 'completed', frames: 7, total: 7, uploaded: 7, skipped: 0, failed: 0, report: 'lev0042/med0007/_report.json' });
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore / 2);
    expect(result.bytesSaved).toBe(result.bytesBefore - result.bytesAfter);

    const report = await expectReducedTask(destination, 60, 2048);
    expect(report).toMatchObject({
      status: 'completed',
      task: { id: 7, name: 'lev0042-med0007', frames: 7 },
      summary: { frames: 7, uploaded: 7, skipped: 0, failed: 0, bytesSaved: result.bytesSaved },
      settings: { quality: 60, maxSide: 2048, format: 'jpeg', via: 'frames' },
    });
    expect(framePuts()).toEqual(EXPECTED_KEYS.map(() => 1));
    // Credentials went only to CVAT, as a Bearer token; frames were pulled as originals.
    expect(new Set(cvat.requests.map((r) => r.auth))).toEqual(new Set(['bearer']));
    const frameRequests = cvat.requests.filter((r) => /\/data\/?$/.test(r.path));
    expect(frameRequests.every((r) => r.query.type === 'frame' && r.query.quality === 'original')).toBe(true);
  });

  test('a rerun skips every frame already uploaded from the same source: no second PUT', async () => {
    await ctx.vf.startCvatReduction({ taskName: 'lev0042-med0007', destination, quality: 60, maxSide: 2048 });
    const result = await ctx.vf.cvatReductionResult('lev0042-med0007');
    expect(result).toMatchObject({ frames: 7, uploaded: 0, skipped: 7, failed: 0 });
    expect(framePuts()).toEqual(EXPECTED_KEYS.map(() => 1));
  });

  test('an unknown or ambiguous task name fails at once, naming what was found', async () => {
    await ctx.vf.startCvatReduction({ taskName: 'lev0042-med000', destination });
    const missing = await ctx.vf.cvatReductionResult('lev0042-med000').catch((e) => e);
    expect(missing).toBeInstanceOf(WorkflowFailedError);
    expect(rootCause(missing)).toContain("no CVAT task is named exactly 'lev0042-med000'");
    expect(rootCause(missing)).toContain("'lev0042-med0001-old'");

    await ctx.vf.startCvatReduction({ taskName: 'lev9-twin', destination });
    const twin = await ctx.vf.cvatReductionResult('lev9-twin').catch((e) => e);
    expect(rootCause(twin)).toMatch(/2 CVAT tasks are named 'lev9-twin' \(ids (20, 21|21, 20)\)/);
  });

  test('flaky 500s, 429 with Retry-After and slow frames are retried; a missing frame is reported, not fatal', async () => {
    cvat.faults = {
      frameErrors: { 0: { status: 500, times: 2 }, 1: { status: 429, times: 1, retryAfterSeconds: 1 }, 3: { status: 404, times: 100 } },
      frameDelayMs: { 2: 1500 },
    };
    try {
      await ctx.vf.startCvatReduction({ taskName: 'lev5-faulty', destination, quality: 60 });
      const result = await ctx.vf.cvatReductionResult('lev5-faulty');
      expect(result).toMatchObject({ frames: 4, uploaded: 3, failed: 1 });
      expect(cvat.frameDownloads(30, 0)).toBe(3);
      expect(cvat.frameDownloads(30, 1)).toBe(2);
      expect(cvat.frameDownloads(30, 3)).toBe(1); // 404 is not retried
      const stored = await readStored(destination, 'lev5/faulty');
      const report = JSON.parse(stored.get('lev5/faulty/_report.json')!.toString()) as {
        failed: { frame: number; reason: string }[];
      };
      expect(report.failed).toEqual([{ frame: 3, name: 'frame_000003.jpg', reason: expect.stringContaining('HTTP 404') }]);
    } finally {
      cvat.faults = {};
    }
  });

  test('bad credentials fail the run without retrying', async () => {
    cvat.faults = { unauthorized: true };
    try {
      const before = cvat.requests.length;
      await ctx.vf.startCvatReduction({ taskName: 'lev5-faulty', destination });
      const failed = await ctx.vf.cvatReductionResult('lev5-faulty').catch((e) => e);
      expect(rootCause(failed)).toContain('HTTP 401');
      expect(cvat.requests.length - before).toBeLessThanOrEqual(2); // about + the task list, once
    } finally {
      cvat.faults = {};
    }
  });

  test('CLI: cvat reduce with a progress bar, --json summary, bad input exits 2', async () => {
    const env = { ...process.env, ...testEnv('cvat') };
    const human = await run(['cvat', 'reduce', 'lev0042-med0007', '--to', `s3://${bucket}/cli`, '--quality', '60', '--max-side', '2048'], env);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/\[#+\] 7\/7 /);
    expect(human.stdout).toContain('7 frames: 7 uploaded');
    await expectReducedTask(`s3://${bucket}/cli`, 60, 2048);

    const json = await run(['cvat', 'reduce', 'lev0042-med0007', '--to', `s3://${bucket}/cli`, '--quality', '60', '--max-side', '2048', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ frames: 7, skipped: 7, uploaded: 0 });

    const status = await run(['status', '--json'], { ...env, CVAT_HOST: cvat.url, CVAT_ACCESS_TOKEN: 'pat-test-token' });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).checks.find((c: { name: string }) => c.name === 'cvat')).toMatchObject({ ok: true });
    const badToken = await run(['status', '--json'], { ...env, CVAT_HOST: cvat.url, CVAT_ACCESS_TOKEN: 'wrong' });
    expect(badToken.code).toBe(1);
    expect(JSON.parse(badToken.stdout).checks.find((c: { name: string }) => c.name === 'cvat').detail).toContain('HTTP 401');

    const bad = await run(['cvat', 'reduce', 'no_dash', '--to', `s3://${bucket}/cli`, '--quality', '60'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("task name 'no_dash' is not levID-medID");
  });
});
