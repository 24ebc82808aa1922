/**
 * The blur model registry on a folder and on MinIO: a version exists only once it is
 * whole, torn files are refused on load, training scratch is never a version, and
 * the default pointer, deletion and concurrent publishes behave the same on both.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLUR_CLASSES } from '../../src/lib/blur/blur-classes';
import { FEATURE_NAMES } from '../../src/lib/blur/blur-features';
import { BlurModelMetadata, BlurModelNotFound, BlurModelRegistry, checkVersionName } from '../../src/lib/blur/blur-registry';
import { ModelFiles } from '../../src/lib/blur/model-files';
import { splitScenes } from '../../src/lib/blur/scene-split';
import { TRAIN_DEFAULTS } from '../../src/lib/blur/train-params';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { createStorageOpener } from '../../src/lib/storage/open-storage';
import { Storage } from '../../src/lib/storage/storage';
import { tempDir } from '../support/harness';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Files that stand in for a trained model: the registry only stores and checks bytes. */
function modelFiles(version: string, size = 4096): ModelFiles {
  return { modelJson: JSON.stringify({ format: 'layers-model', modelTopology: { version } }), weights: randomBytes(size) };
}

function metadataFor(version: string, createdAt: string): Omit<BlurModelMetadata, 'files'> {
  const counts = { sharp: 1, defocused: 1, motion: 1 };
  return {
    version,
    createdAt,
    classes: [...BLUR_CLASSES],
    featureNames: [...FEATURE_NAMES],
    analysisSize: 1024,
    normalizer: { mean: [0, 1], std: [1, 2] },
    temperature: 1.3,
    backend: 'cpu',
    params: TRAIN_DEFAULTS,
    dataset: {
      url: 'file:///data/blur',
      fingerprint: sha256(version),
      images: 9,
      counts: { train: counts, validation: counts, test: counts },
      mismatches: 0,
      split: splitScenes(['1', '2', '3'], { validation: 0.15, test: 0.2 }, 1),
    },
    metrics: {
      images: 3,
      accuracy: 1,
      binaryAccuracy: 1,
      threshold: 50,
      perClass: Object.fromEntries(BLUR_CLASSES.map((c) => [c, { precision: 1, recall: 1, f1: 1, support: 1 }])) as BlurModelMetadata['metrics']['perClass'],
      confusion: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      evaluatedOn: 'test',
    },
    training: { ms: 1234, epochs: 3, bestEpoch: 2, resumedAtEpoch: [], history: [] },
  };
}

/** A storage that fails the write of keys matching `failOn`, as a worker killed mid-publish would. */
function crashingStorage(inner: Storage, failOn: (key: string) => boolean): Storage {
  return {
    url: inner.url,
    put: async (key, body, options) => {
      if (failOn(key)) throw new Error(`simulated crash before writing ${key}`);
      return inner.put(key, body, options);
    },
    get: (key) => inner.get(key),
    exists: (key) => inner.exists(key),
    head: (key) => inner.head(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
    deleteFolder: (prefix) => inner.deleteFolder(prefix),
  };
}

function registrySuite(name: string, open: () => Storage): void {
  describe(`blur model registry on ${name}`, () => {
    let storage: Storage;
    let registry: BlurModelRegistry;
    beforeEach(() => {
      storage = open();
      registry = new BlurModelRegistry(storage);
    });

    test('publish -> list, show and load return what was published, with sizes and checksums', async () => {
      const files = modelFiles('v1', 5000);
      const published = await registry.publish(files, metadataFor('v1', '2026-01-01T00:00:00.000Z'));
      expect(published.files).toEqual({
        'model.json': { size: Buffer.byteLength(files.modelJson), sha256: sha256(files.modelJson) },
        'weights.bin': { size: 5000, sha256: sha256(files.weights) },
      });
      expect((await storage.list('')).map((o) => o.key)).toEqual(['v1/metadata.json', 'v1/model.json', 'v1/weights.bin']);
      expect(JSON.parse((await storage.get('v1/metadata.json'))!.toString('utf8'))).toEqual(published);

      expect((await registry.list()).map((m) => m.version)).toEqual(['v1']);
      expect(await registry.show('v1')).toEqual(published);
      expect(await registry.show('v2')).toBeUndefined();
      const loaded = await registry.load('v1');
      expect(loaded.files.modelJson).toBe(files.modelJson);
      expect(loaded.files.weights.equals(files.weights)).toBe(true);
      expect(loaded.metadata).toEqual(published);
      expect(await registry.resolve('v1')).toBe('v1');
      expect(await registry.resolve()).toBe('v1');
    });

    test('a crash after weights and model.json were written leaves no version: not listed, resolve and load refuse it', async () => {
      await registry.publish(modelFiles('v-ok'), metadataFor('v-ok', '2026-01-01T00:00:00.000Z'));
      const crashing = new BlurModelRegistry(crashingStorage(storage, (key) => key === 'v-torn/metadata.json'));
      await expect(crashing.publish(modelFiles('v-torn'), metadataFor('v-torn', '2026-02-01T00:00:00.000Z'))).rejects.toThrow(/simulated crash/);
      // The files are there, the version is not.
      expect((await storage.list('v-torn/')).map((o) => o.key)).toEqual(['v-torn/model.json', 'v-torn/weights.bin']);
      expect((await registry.list()).map((m) => m.version)).toEqual(['v-ok']);
      expect(await registry.show('v-torn')).toBeUndefined();
      await expect(registry.resolve('v-torn')).rejects.toThrow(BlurModelNotFound);
      await expect(registry.resolve('v-torn')).rejects.toThrow(/no blur model version 'v-torn'.*versions: v-ok/);
      await expect(registry.load('v-torn')).rejects.toThrow(BlurModelNotFound);
      await expect(registry.setDefault('v-torn')).rejects.toThrow(BlurModelNotFound);
      // Though newer, the torn version is not the default.
      expect(await registry.defaultVersion()).toBe('v-ok');
      expect(await registry.resolve()).toBe('v-ok');

      // The retry publishes it whole.
      const files = modelFiles('v-torn');
      await registry.publish(files, metadataFor('v-torn', '2026-02-01T00:00:00.000Z'));
      expect((await registry.list()).map((m) => m.version)).toEqual(['v-torn', 'v-ok']);
      expect((await registry.load('v-torn')).files.weights.equals(files.weights)).toBe(true);
    });

    test('a crash before model.json leaves nothing listed either', async () => {
      const crashing = new BlurModelRegistry(crashingStorage(storage, (key) => key.endsWith('/model.json')));
      await expect(crashing.publish(modelFiles('v1'), metadataFor('v1', '2026-01-01T00:00:00.000Z'))).rejects.toThrow(/simulated crash/);
      expect(await registry.list()).toEqual([]);
      expect(await registry.defaultVersion()).toBeUndefined();
      await expect(registry.resolve()).rejects.toThrow(BlurModelNotFound);
      await expect(registry.resolve()).rejects.toThrow(/no blur model in .*train one first/);
    });

    test('corrupted, truncated or missing files fail load with a message naming the version and the file', async () => {
      for (const v of ['flip', 'short', 'gone', 'json']) await registry.publish(modelFiles(v), metadataFor(v, '2026-01-01T00:00:00.000Z'));
      const weights = (await storage.get('flip/weights.bin'))!;
      weights[100] ^= 0xff; // same size, different bytes
      await storage.put('flip/weights.bin', weights);
      await storage.put('short/weights.bin', (await storage.get('short/weights.bin'))!.subarray(0, 4000));
      await storage.delete('gone/weights.bin');
      await storage.put('json/model.json', (await storage.get('json/model.json'))!.toString('utf8').replace('layers-model', 'layers-modem'));

      await expect(registry.load('flip')).rejects.toThrow('blur model flip: weights.bin is missing or does not match its recorded checksum');
      await expect(registry.load('short')).rejects.toThrow('blur model short: weights.bin is missing or does not match its recorded checksum');
      await expect(registry.load('gone')).rejects.toThrow('blur model gone: weights.bin is missing or does not match its recorded checksum');
      await expect(registry.load('json')).rejects.toThrow('blur model json: model.json is missing or does not match its recorded checksum');
      // Still listed (metadata is whole): the refusal is on load.
      expect((await registry.list()).map((m) => m.version).sort()).toEqual(['flip', 'gone', 'json', 'short']);
    });

    test('training scratch under _runs/ is never a version, even when it holds a metadata.json', async () => {
      await registry.publish(modelFiles('v1'), metadataFor('v1', '2026-01-01T00:00:00.000Z'));
      const meta = JSON.stringify({ ...metadataFor('_runs', '2030-01-01T00:00:00.000Z') });
      await storage.put('_runs/v2/plan.json', '{}');
      await storage.put('_runs/v2/checkpoint.json', '{}');
      await storage.put('_runs/v2/features/0000000.json', '[]');
      await storage.put('_runs/v2/metadata.json', meta);
      await storage.put('_runs/metadata.json', meta);
      await storage.put('_other/metadata.json', meta);
      expect((await registry.list()).map((m) => m.version)).toEqual(['v1']);
      expect(await registry.show('_runs')).toBeUndefined();
      expect(await registry.defaultVersion()).toBe('v1');
      await expect(registry.resolve('_runs')).rejects.toThrow(/model version '_runs' must be/);
      await expect(registry.load('_runs')).rejects.toThrow(/model version '_runs' must be/);
    });

    test('default: the newest until one is set, then the pointer; a dangling pointer falls back to the newest', async () => {
      expect(await registry.defaultVersion()).toBeUndefined();
      await registry.publish(modelFiles('a'), metadataFor('a', '2026-01-01T00:00:00.000Z'));
      await registry.publish(modelFiles('b'), metadataFor('b', '2026-03-01T00:00:00.000Z'));
      await registry.publish(modelFiles('c'), metadataFor('c', '2026-02-01T00:00:00.000Z'));
      // Newest by createdAt, not by name or publish order.
      expect((await registry.list()).map((m) => m.version)).toEqual(['b', 'c', 'a']);
      expect(await registry.defaultVersion()).toBe('b');

      await registry.setDefault('a');
      expect(JSON.parse((await storage.get('_default.json'))!.toString('utf8'))).toEqual({ version: 'a' });
      expect(await registry.defaultVersion()).toBe('a');
      expect(await registry.resolve()).toBe('a');
      expect(await registry.resolve('c')).toBe('c');
      // A newer publish does not move the pointer.
      await registry.publish(modelFiles('d'), metadataFor('d', '2026-04-01T00:00:00.000Z'));
      expect(await registry.defaultVersion()).toBe('a');

      await expect(registry.setDefault('nope')).rejects.toThrow(BlurModelNotFound);
      await expect(registry.setDefault('nope')).rejects.toThrow(/'nope'.*versions: d, b, c, a/);
      expect(await registry.defaultVersion()).toBe('a');

      await storage.put('_default.json', JSON.stringify({ version: 'removed-by-hand' }));
      expect(await registry.defaultVersion()).toBe('d');
    });

    test('same createdAt: the order is by version, newest name first, and stable', async () => {
      const at = '2026-05-05T05:05:05.000Z';
      for (const v of ['m', 'z', 'a']) await registry.publish(modelFiles(v), metadataFor(v, at));
      expect((await registry.list()).map((m) => m.version)).toEqual(['z', 'm', 'a']);
      expect(await registry.defaultVersion()).toBe('z');
    });

    test('delete unlists the version, removes its files and clears a default that named it', async () => {
      await registry.publish(modelFiles('old'), metadataFor('old', '2026-01-01T00:00:00.000Z'));
      await registry.publish(modelFiles('new'), metadataFor('new', '2026-02-01T00:00:00.000Z'));
      await registry.setDefault('old');
      await registry.delete('old');
      expect(await storage.list('old/')).toEqual([]);
      expect(await storage.exists('_default.json')).toBe(false);
      expect((await registry.list()).map((m) => m.version)).toEqual(['new']);
      expect(await registry.defaultVersion()).toBe('new');
      await expect(registry.load('old')).rejects.toThrow(BlurModelNotFound);
      await expect(registry.delete('old')).rejects.toThrow(BlurModelNotFound);

      // Deleting another version keeps the pointer.
      await registry.publish(modelFiles('other'), metadataFor('other', '2026-03-01T00:00:00.000Z'));
      await registry.setDefault('new');
      await registry.delete('other');
      expect(await registry.defaultVersion()).toBe('new');
      expect((await storage.list('')).map((o) => o.key)).toEqual(['_default.json', 'new/metadata.json', 'new/model.json', 'new/weights.bin']);

      await registry.delete('new');
      expect(await storage.list('')).toEqual([]);
      expect(await registry.defaultVersion()).toBeUndefined();
    });

    test('bad version names are refused before anything is written', async () => {
      const bad = ['', '.', '..', '../x', 'a/b', '_runs', '.hidden', '-x', 'a b', 'é', 'x'.repeat(65), 'v1\n'];
      for (const v of bad) {
        await expect(registry.publish(modelFiles('x'), metadataFor(v, '2026-01-01T00:00:00.000Z'))).rejects.toThrow(/model version '.*' must be 1-64 letters/s);
        // (An empty version means 'the default' to resolve.)
        if (v !== '') await expect(registry.resolve(v)).rejects.toThrow(/must be 1-64 letters/);
        expect(await registry.show(v)).toBeUndefined();
      }
      expect(await storage.list('')).toEqual([]);
      for (const v of ['1', 'v1.2.3', 'blur_2026-01-01', 'A-b.c_D', 'x'.repeat(64)]) expect(checkVersionName(v)).toBe(v);
    });

    test('concurrent publishes of two versions are both listed and both load', async () => {
      const a = modelFiles('a', 200_000);
      const b = modelFiles('b', 300_000);
      await Promise.all([
        registry.publish(a, metadataFor('par-a', '2026-01-01T00:00:00.000Z')),
        registry.publish(b, metadataFor('par-b', '2026-01-01T00:00:01.000Z')),
      ]);
      expect((await registry.list()).map((m) => m.version)).toEqual(['par-b', 'par-a']);
      expect((await registry.load('par-a')).files.weights.equals(a.weights)).toBe(true);
      expect((await registry.load('par-b')).files.weights.equals(b.weights)).toBe(true);
    });

    test('a reader listing during publishes only ever sees whole versions', async () => {
      const versions = Array.from({ length: 6 }, (_, i) => `r${i}`);
      let publishing = true;
      const seen = new Set<string>();
      const reader = (async () => {
        while (publishing) {
          for (const m of await registry.list()) {
            await registry.load(m.version); // throws on a torn version
            seen.add(m.version);
          }
        }
      })();
      for (const v of versions) await registry.publish(modelFiles(v, 100_000), metadataFor(v, `2026-01-0${versions.indexOf(v) + 1}T00:00:00.000Z`));
      publishing = false;
      await reader;
      expect((await registry.list()).map((m) => m.version)).toEqual([...versions].reverse());
      for (const v of seen) expect(versions).toContain(v);
    });
  });
}

let counter = 0;
registrySuite('a folder', () => new FileStorage(tempDir(`blur-registry-${counter++}`)));

describe('blur model registry on a folder: the pointer file and version folders', () => {
  test("a version named 'default.json' is refused up front, or works beside the default pointer", async () => {
    const storage = new FileStorage(tempDir('blur-registry-pointer'));
    const registry = new BlurModelRegistry(storage);
    let rejectedByName = false;
    try {
      checkVersionName('default.json');
    } catch (err) {
      rejectedByName = true;
      expect((err as Error).message).toMatch(/default\.json/);
    }
    if (rejectedByName) return;
    await registry.publish(modelFiles('a'), metadataFor('a', '2026-01-01T00:00:00.000Z'));
    await registry.setDefault('a');
    await registry.publish(modelFiles('d'), metadataFor('default.json', '2026-02-01T00:00:00.000Z'));
    expect((await registry.list()).map((m) => m.version)).toEqual(['default.json', 'a']);
    await registry.setDefault('default.json');
    expect(await registry.defaultVersion()).toBe('default.json');
    expect(fs.existsSync(path.join(storage.root, 'default.json'))).toBe(true);
  });
});

const s3Endpoint = process.env.VF_TEST_S3_ENDPOINT;
if (!s3Endpoint) {
  console.warn('\n*** blur-registry.test.ts: VF_TEST_S3_ENDPOINT is unset, the S3 registry tests are SKIPPED ***\n');
  test.skip('blur model registry on S3 (no MinIO)', () => undefined);
} else {
  process.env.AWS_ACCESS_KEY_ID = process.env.VF_TEST_S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = process.env.VF_TEST_S3_SECRET_KEY;
  const openS3 = createStorageOpener({ endpoint: s3Endpoint, forcePathStyle: true, region: 'us-east-1' });
  const run = randomBytes(4).toString('hex');
  registrySuite('S3', () => openS3(`s3://${process.env.VF_TEST_S3_BUCKET}/unit-blur-registry-${run}-${counter++}/`));
}
