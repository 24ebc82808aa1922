import { fileURLToPath } from 'node:url';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, normalizeStorageUrl, parseConfig } from '../../src/config';

const CWD = '/srv/project';

/** The ConfigError thrown for `env`, failing the test when nothing is thrown. */
function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('parseConfig', () => {
  test('defaults: home under cwd, local storage in it, default namespace, every queue, blur registry and web port', () => {
    const config = parseConfig({}, CWD);
    expect(config.home).toBe('/srv/project/.visionflow');
    expect(config.storage).toBe('file:///srv/project/.visionflow/data');
    expect(config.temporal).toMatchObject({ address: undefined, namespace: 'default', tls: false, devPort: 7233, uiPort: 8233 });
    expect(config.worker.queues).toEqual(['visionflow', 'visionflow-cpu', 'visionflow-training']);
    expect(config.blurModels).toBe(`${config.storage}/models/blur`);
    expect(config.web.port).toBe(3000);
    expect(config.worker.logLevel).toBe('INFO');
    expect(config.worker.cpuConcurrency).toBeGreaterThanOrEqual(1);
    expect(config.s3).toEqual({ endpoint: undefined, forcePathStyle: false, region: 'us-east-1' });
  });

  test('good values are read and trimmed', () => {
    const config = parseConfig(
      {
        VISIONFLOW_HOME: 'state',
        VISIONFLOW_STORAGE: 's3://frames/cams/',
        TEMPORAL_ADDRESS: ' temporal.internal:7233 ',
        TEMPORAL_NAMESPACE: 'vision-prod',
        VISIONFLOW_WORKER_QUEUES: 'visionflow-cpu',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: 'yes',
        TEMPORAL_DEV_PORT: '',
        VISIONFLOW_LOG_LEVEL: 'warn',
      },
      CWD,
    );
    expect(config.home).toBe('/srv/project/state');
    expect(config.storage).toBe('s3://frames/cams');
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.temporal.namespace).toBe('vision-prod');
    expect(config.temporal.devPort).toBe(7233); // empty means unset
    expect(config.worker.queues).toEqual(['visionflow-cpu']);
    expect(config.worker.logLevel).toBe('WARN');
    expect(config.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
  });

  test.each([
    ['TEMPORAL_ADDRESS', 'foo'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['VISIONFLOW_WORKER_QUEUES', 'gpu'],
    ['TEMPORAL_DEV_PORT', '99999'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['VISIONFLOW_STORAGE', 'ftp://x'],
    ['VISIONFLOW_LOG_LEVEL', 'LOUD'],
    ['TEMPORAL_NAMESPACE', '-bad name'],
    ['VISIONFLOW_WORKFLOW_BUNDLE', '/nonexistent/bundle.js'],
  ])('%s=%s is rejected with a message naming the variable and the value', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].startsWith(`${name}:`)).toBe(true);
    expect(err.message).toContain(name);
    expect(err.message).toContain(value);
  });

  // Regression (src/config.ts, TEMPORAL_ADDRESS check): the port is only checked for 1-5
  // digits, so an impossible port passes validation and fails later at connect time.
  test('TEMPORAL_ADDRESS with a port above 65535 is rejected', () => {
    expect(configError({ TEMPORAL_ADDRESS: 'localhost:99999' }).message).toContain('TEMPORAL_ADDRESS');
  });

  test('several bad values are all reported at once', () => {
    const err = configError({
      TEMPORAL_ADDRESS: 'foo',
      S3_ENDPOINT: 'minio:9000',
      VISIONFLOW_WORKER_QUEUES: 'gpu',
      TEMPORAL_DEV_PORT: '99999',
      S3_FORCE_PATH_STYLE: 'maybe',
      VISIONFLOW_STORAGE: 'ftp://x',
    });
    const named = err.problems.map((p) => p.split(':')[0]).sort();
    expect(named).toEqual(
      ['S3_ENDPOINT', 'S3_FORCE_PATH_STYLE', 'TEMPORAL_ADDRESS', 'TEMPORAL_DEV_PORT', 'VISIONFLOW_STORAGE', 'VISIONFLOW_WORKER_QUEUES'],
    );
  });

  // Regression (src/config.ts parseConfig + normalizeStorageUrl): the default storage is built
  // as `file://${home}/data` without percent-encoding, then parsed as a URL, so a '#' in
  // the project path starts a URL fragment and the data folder silently becomes the
  // parent folder ('file:///srv/proj' instead of 'file:///srv/proj#1/.visionflow/data').
  test("default storage stays inside a home whose path contains '#'", () => {
    const storage = parseConfig({}, '/srv/proj#1').storage;
    expect(storage).toBe('file:///srv/proj%231/.visionflow/data');
    expect(fileURLToPath(storage)).toBe('/srv/proj#1/.visionflow/data');
  });

  // Same root cause: a '%' in the path makes decodeURIComponent throw, and the user gets
  // "VISIONFLOW_STORAGE: URI malformed" without having set VISIONFLOW_STORAGE.
  test("a home path containing '%' is accepted", () => {
    expect(parseConfig({}, '/srv/100%done').home).toBe('/srv/100%done/.visionflow');
  });
});

describe('loadConfig with a .env file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads .env and lets the real environment win', () => {
    const dotenv = path.join(dir, 'custom.env');
    fs.writeFileSync(dotenv, 'TEMPORAL_NAMESPACE=from-file\nTEMPORAL_DEV_PORT=7300\n# a comment\nS3_FORCE_PATH_STYLE=true\n');
    const config = loadConfig({ TEMPORAL_NAMESPACE: 'from-env' }, { dotenvPath: dotenv, cwd: dir });
    expect(config.temporal.namespace).toBe('from-env');
    expect(config.temporal.devPort).toBe(7300);
    expect(config.s3.forcePathStyle).toBe(true);
    expect(config.home).toBe(path.join(dir, '.visionflow'));
  });

  test('reads ./.env from cwd by default; a bad value in it is reported', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'VISIONFLOW_WORKER_QUEUES=gpu\n');
    expect(() => loadConfig({}, { cwd: dir })).toThrow(/VISIONFLOW_WORKER_QUEUES.*gpu/);
    expect(loadConfig({ VISIONFLOW_WORKER_QUEUES: 'visionflow' }, { cwd: dir }).worker.queues).toEqual(['visionflow']);
  });

  test('no .env file is fine', () => {
    expect(loadConfig({}, { cwd: dir }).temporal.namespace).toBe('default');
  });
});

describe('normalizeStorageUrl', () => {
  test('s3 URLs: lowercase bucket names only, no dot segments, no trailing slash', () => {
    expect(() => normalizeStorageUrl('s3://Bucket')).toThrow(/not a valid s3:\/\/bucket/);
    expect(() => normalizeStorageUrl('s3://bucket/a/../b')).toThrow(/'\.\.'/);
    expect(() => normalizeStorageUrl('s3://bucket/./b')).toThrow(/'\.'/);
    expect(() => normalizeStorageUrl('s3://ab')).toThrow(); // too short
    expect(normalizeStorageUrl('s3://bucket')).toBe('s3://bucket');
    expect(normalizeStorageUrl('s3://bucket/')).toBe('s3://bucket');
    expect(normalizeStorageUrl('s3://my.bucket-1/cams/lyon//')).toBe('s3://my.bucket-1/cams/lyon');
  });

  test('plain paths become absolute file:// URLs', () => {
    expect(normalizeStorageUrl('data/out', '/srv/project')).toBe('file:///srv/project/data/out');
    expect(normalizeStorageUrl('../shared/', '/srv/project')).toBe('file:///srv/shared');
    expect(normalizeStorageUrl('/abs/dir///', '/srv/project')).toBe('file:///abs/dir');
  });

  test('file URLs must be absolute; trailing slashes are removed', () => {
    expect(normalizeStorageUrl('file:///data/frames/')).toBe('file:///data/frames');
    expect(normalizeStorageUrl('file:///')).toBe('file:///');
    expect(() => normalizeStorageUrl('file://relative/dir')).toThrow(/absolute/);
  });

  test('other schemes and empty input are rejected', () => {
    expect(() => normalizeStorageUrl('ftp://x')).toThrow(/unsupported scheme/);
    expect(() => normalizeStorageUrl('https://bucket.s3.amazonaws.com/x')).toThrow(/unsupported scheme/);
    expect(() => normalizeStorageUrl('   ')).toThrow(/empty/);
  });

  test('is idempotent for ordinary paths', () => {
    for (const input of ['/data/frames', 's3://bucket/a/b', 'rel/dir']) {
      const once = normalizeStorageUrl(input, '/srv');
      expect(normalizeStorageUrl(once, '/srv')).toBe(once);
    }
  });

  // Regression (src/config.ts normalizeStorageUrl): the canonical URL of a path with '#' is not
  // re-read as the same folder ('file:///tmp/a#b' -> 'file:///tmp/a'), and createStorageOpener
  // normalises again, so such a folder is opened as its parent.
  test("is idempotent for a path containing '#'", () => {
    const once = normalizeStorageUrl('/tmp/a#b');
    expect(normalizeStorageUrl(once)).toBe(once);
  });
});
