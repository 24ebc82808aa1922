/**
 * Starts what every integration test shares: one Temporal dev server (one namespace
 * per test file), one workflow bundle, one MinIO and one Label Studio. Addresses go to
 * test files through VF_TEST_* environment variables.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWorkflows } from '../../src/temporal/bundle-workflows';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from './free-port';
import { startLabelStudio } from './label-studio';
import { startMinio } from './minio';
import { TEST_NAMESPACES } from './namespaces';

export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-test-'));
  const port = await freePort();
  const labelStudioStart = startLabelStudio({ log: (l) => console.log(l) });
  const [server, bundle, minio, labelStudio] = await Promise.all([
    startDevServer({ dbFile: path.join(dir, 'temporal.db'), port, namespaces: [...TEST_NAMESPACES], build: true, log: (l) => console.log(l) }),
    bundleWorkflows(path.resolve(__dirname, '../../src/workflows/index.ts')),
    startMinio(),
    labelStudioStart,
  ]).catch(async (err) => {
    // Label Studio runs in its own process group: do not leave it behind when something else failed.
    const started = await labelStudioStart.catch(() => undefined);
    if (started && 'stop' in started) await started.stop();
    throw err;
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.env.VF_TEST_DIR = dir;
  process.env.VF_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.VF_TEST_WORKFLOW_BUNDLE = bundlePath;
  if ('missing' in minio) {
    if (process.env.CI) throw new Error(`CI needs MinIO for the S3 tests: ${minio.missing}`);
    console.warn(`\n\n*** S3 TESTS WILL BE SKIPPED: ${minio.missing} ***\n\n`);
  } else {
    process.env.VF_TEST_S3_ENDPOINT = minio.endpoint;
    process.env.VF_TEST_S3_BUCKET = minio.bucket;
    process.env.VF_TEST_S3_ACCESS_KEY = minio.accessKey;
    process.env.VF_TEST_S3_SECRET_KEY = minio.secretKey;
  }
  if ('missing' in labelStudio) {
    if (process.env.CI) throw new Error(`CI needs Label Studio for the Label Studio tests: ${labelStudio.missing}`);
    console.warn(`\n\n*** LABEL STUDIO TESTS WILL BE SKIPPED: ${labelStudio.missing} ***\n\n`);
  } else {
    process.env.VF_TEST_LS_URL = labelStudio.url;
    process.env.VF_TEST_LS_TOKEN = labelStudio.legacyToken;
    process.env.VF_TEST_LS_PAT = labelStudio.personalToken;
    process.env.VF_TEST_LS_USERNAME = labelStudio.username;
    process.env.VF_TEST_LS_PASSWORD = labelStudio.password;
  }
  (globalThis as Record<string, unknown>).__vfTeardown = async () => {
    await Promise.all([server.stop(), 'stop' in minio ? minio.stop() : undefined, 'stop' in labelStudio ? labelStudio.stop() : undefined]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
