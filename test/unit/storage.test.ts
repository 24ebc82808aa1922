/**
 * One storage contract, run against a local folder and against MinIO: pipelines never
 * branch on the backend, so both must behave the same.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { createStorageOpener } from '../../src/lib/storage/open-storage';
import { Storage } from '../../src/lib/storage/storage';

const BAD_KEYS = ['../x', '/abs', 'a//b', 'a\\b', '', './x', 'a/../b', 'a/', 'nul\0byte'];

function storageContract(name: string, open: () => Promise<Storage>, cleanup: (s: Storage) => Promise<void>): void {
  describe(`${name} storage contract`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await open();
    });
    afterAll(async () => {
      if (storage) await cleanup(storage);
    });

    test('put then get returns the same bytes; strings are stored as UTF-8', async () => {
      const bytes = randomBytes(3000);
      await storage.put('cam/frame.jpg', bytes, { contentType: 'image/jpeg', metadata: { sha256: 'x' } });
      expect(await storage.get('cam/frame.jpg')).toEqual(bytes);
      await storage.put('cam/notes.txt', 'Lyon, caméra n°9018\n');
      expect((await storage.get('cam/notes.txt'))?.toString('utf8')).toBe('Lyon, caméra n°9018\n');
    });

    test('a missing key: get is undefined, exists is false; delete of a missing key is a no-op', async () => {
      expect(await storage.get('nothing/here.jpg')).toBeUndefined();
      expect(await storage.exists('nothing/here.jpg')).toBe(false);
      await expect(storage.delete('nothing/here.jpg')).resolves.toBeUndefined();
    });

    test('exists sees objects, not folders', async () => {
      await storage.put('exists/a/b.bin', Buffer.from('b'));
      expect(await storage.exists('exists/a/b.bin')).toBe(true);
      expect(await storage.exists('exists/a')).toBe(false);
    });

    test('overwrite replaces the whole object', async () => {
      await storage.put('over/state.json', JSON.stringify({ recent: ['a', 'b', 'c', 'd'] }));
      await storage.put('over/state.json', '{}');
      expect((await storage.get('over/state.json'))?.toString()).toBe('{}');
      expect(await storage.list('over/')).toEqual([{ key: 'over/state.json', size: 2 }]);
    });

    test('list: by prefix, sorted by key, with sizes, nested keys included', async () => {
      const files: Record<string, number> = {
        'list/cam1/20260101T000200Z.jpg': 12,
        'list/cam1/20260101T000000Z.jpg': 10,
        'list/cam1/sub/deep/x.bin': 3,
        'list/cam1/manifest.jsonl': 7,
        'list/cam10/20260101T000000Z.jpg': 5,
        'list/cam2/a.jpg': 1,
      };
      for (const [key, size] of Object.entries(files)) await storage.put(key, Buffer.alloc(size, 1));

      expect(await storage.list('list/cam1/')).toEqual([
        { key: 'list/cam1/20260101T000000Z.jpg', size: 10 },
        { key: 'list/cam1/20260101T000200Z.jpg', size: 12 },
        { key: 'list/cam1/manifest.jsonl', size: 7 },
        { key: 'list/cam1/sub/deep/x.bin', size: 3 },
      ]);
      // Without the slash a prefix is a plain string prefix: cam1 also matches cam10.
      expect((await storage.list('list/cam1')).map((o) => o.key)).toEqual([
        'list/cam1/20260101T000000Z.jpg',
        'list/cam1/20260101T000200Z.jpg',
        'list/cam1/manifest.jsonl',
        'list/cam1/sub/deep/x.bin',
        'list/cam10/20260101T000000Z.jpg',
      ]);
      // A partial file name, as capture uses for "this tick's image".
      expect(await storage.list('list/cam1/20260101T0002')).toEqual([{ key: 'list/cam1/20260101T000200Z.jpg', size: 12 }]);
      expect(await storage.list('list/none/')).toEqual([]);
      const all = await storage.list('');
      expect(all.map((o) => o.key)).toEqual(expect.arrayContaining(Object.keys(files)));
      expect(all.map((o) => o.key)).toEqual([...all.map((o) => o.key)].sort());
    });

    test('delete removes the object from get, exists and list', async () => {
      await storage.put('del/a.jpg', 'a');
      await storage.put('del/b.jpg', 'b');
      await storage.delete('del/a.jpg');
      expect(await storage.get('del/a.jpg')).toBeUndefined();
      expect(await storage.exists('del/a.jpg')).toBe(false);
      expect((await storage.list('del/')).map((o) => o.key)).toEqual(['del/b.jpg']);
    });

    test('deleteFolder removes the objects under a folder and says how many, leaving siblings that share the name start', async () => {
      await storage.put('run/1/a.json', 'a', { metadata: { part: '1' } });
      await storage.put('run/1/deeper/b.json', 'b');
      await storage.put('run/10/c.json', 'c');
      expect(await storage.deleteFolder('run/1/')).toBe(2);
      expect((await storage.list('run/')).map((o) => o.key)).toEqual(['run/10/c.json']);
      expect(await storage.head('run/1/a.json')).toBeUndefined();
      expect(await storage.deleteFolder('run/1/')).toBe(0);
    });

    test('deleteFolder refuses the root and prefixes that are not folders', async () => {
      await storage.put('keep/x.json', 'x');
      for (const bad of ['', '/', 'keep', '../keep/']) await expect(storage.deleteFolder(bad)).rejects.toThrow(/folder prefix|storage key/);
      expect(await storage.exists('keep/x.json')).toBe(true);
    });

    test.each(BAD_KEYS)('key %j is rejected by every operation', async (key) => {
      await expect(storage.put(key, 'x')).rejects.toThrow(/storage key/);
      await expect(storage.get(key)).rejects.toThrow(/storage key/);
      await expect(storage.exists(key)).rejects.toThrow(/storage key/);
      await expect(storage.delete(key)).rejects.toThrow(/storage key/);
    });

    test('bad list prefixes are rejected', async () => {
      await expect(storage.list('../')).rejects.toThrow(/storage key/);
      await expect(storage.list('/abs/')).rejects.toThrow(/storage key/);
      await expect(storage.list('a//')).rejects.toThrow(/storage key/);
    });
  });
}

// ---- local folder ----

let fileRoot: string;
storageContract(
  'file',
  async () => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-storage-'));
    return createStorageOpener({ forcePathStyle: false, region: 'us-east-1' })(`file://${fileRoot}`);
  },
  async () => fs.rmSync(fileRoot, { recursive: true, force: true }),
);

describe('FileStorage specifics', () => {
  let root: string;
  let storage: FileStorage;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-filestorage-'));
    storage = new FileStorage(root);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const filesIn = (dir: string) => fs.readdirSync(path.join(root, dir)).sort();

  test('the root must be absolute; the URL names it', () => {
    expect(() => new FileStorage('relative/dir')).toThrow(/absolute/);
    expect(storage.url).toBe(`file://${root}`);
  });

  test('writes land at root/<key> on disk', async () => {
    await storage.put('CWL9018/20260101T000000Z.jpg', Buffer.from('jpeg'));
    expect(fs.readFileSync(path.join(root, 'CWL9018', '20260101T000000Z.jpg'), 'utf8')).toBe('jpeg');
  });

  test('a failed write keeps the old object and leaves no temp file', async () => {
    await storage.put('cam/state.json', '{"old":true}');
    // A body fs cannot write fails after the temp file was opened.
    await expect(storage.put('cam/state.json', 12345 as unknown as Buffer)).rejects.toThrow();
    expect((await storage.get('cam/state.json'))?.toString()).toBe('{"old":true}');
    expect(filesIn('cam')).toEqual(['state.json']);
  });

  test('a write whose rename fails leaves no partial target and no temp file', async () => {
    await storage.put('cam/taken/inner.jpg', 'x'); // 'cam/taken' is a folder
    await expect(storage.put('cam/taken', Buffer.alloc(5000, 7))).rejects.toThrow();
    expect(fs.statSync(path.join(root, 'cam', 'taken')).isDirectory()).toBe(true);
    expect(filesIn('cam')).toEqual(['taken']);
    expect(await storage.list('cam/')).toEqual([{ key: 'cam/taken/inner.jpg', size: 1 }]);
  });

  test('deleteFolder also removes what a writer killed mid-write left (a temp file list() hides)', async () => {
    await storage.put('_runs/v1/checkpoint.json', '{}', { metadata: { epoch: '3' } });
    fs.writeFileSync(path.join(root, '_runs', 'v1', '.checkpoint.json.0123456789ab.tmp'), 'half a checkpoint');
    expect(await storage.deleteFolder('_runs/v1/')).toBe(1);
    expect(filesIn('_runs')).toEqual([]);
  });

  test('deleteFolder through a symbolic link deletes the objects it shows, not the linked folder', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-linked-'));
    try {
      fs.writeFileSync(path.join(elsewhere, 'a.json'), 'a');
      fs.symlinkSync(elsewhere, path.join(root, 'linked'));
      expect(await storage.deleteFolder('linked/')).toBe(1);
      expect(fs.existsSync(path.join(elsewhere))).toBe(true);
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      expect(fs.lstatSync(path.join(root, 'linked')).isSymbolicLink()).toBe(true);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('in-flight temp files are not listed', async () => {
    await storage.put('cam/a.jpg', 'a');
    fs.writeFileSync(path.join(root, 'cam', '.b.jpg.0123456789ab.tmp'), 'partial');
    expect(await storage.list('cam/')).toEqual([{ key: 'cam/a.jpg', size: 1 }]);
    expect(await storage.list('')).toEqual([{ key: 'cam/a.jpg', size: 1 }]);
  });
});

// ---- S3 (MinIO from the global setup) ----

const s3Endpoint = process.env.VF_TEST_S3_ENDPOINT;
if (!s3Endpoint) {
  console.warn('\n*** storage.test.ts: VF_TEST_S3_ENDPOINT is unset, the S3 storage contract is SKIPPED ***\n');
  test.skip('S3 storage contract (no MinIO)', () => undefined);
} else {
  storageContract(
    's3',
    async () => {
      process.env.AWS_ACCESS_KEY_ID = process.env.VF_TEST_S3_ACCESS_KEY;
      process.env.AWS_SECRET_ACCESS_KEY = process.env.VF_TEST_S3_SECRET_KEY;
      const open = createStorageOpener({ endpoint: s3Endpoint, forcePathStyle: true, region: 'us-east-1' });
      const prefix = `unit-storage-${randomBytes(4).toString('hex')}`;
      const storage = open(`s3://${process.env.VF_TEST_S3_BUCKET}/${prefix}/`);
      expect(storage.url).toBe(`s3://${process.env.VF_TEST_S3_BUCKET}/${prefix}`);
      return storage;
    },
    async (storage) => {
      for (const { key } of await storage.list('')) await storage.delete(key);
    },
  );
}
