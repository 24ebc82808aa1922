/**
 * SafeZip lists and reads a zip only when every entry name stays inside the
 * extraction folder; hostile archives are refused whole when opened.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SafeZip, UnsafeZipError } from '../../src/lib/zip/safe-zip';
import { tempDir } from '../support/harness';
import { createStoredZip, ZipEntryInput } from '../support/zip-writer';

const dir = tempDir('safe-zip');
let n = 0;

function zipFile(entries: ZipEntryInput[] | Buffer): string {
  const file = path.join(dir, `z${n++}.zip`);
  fs.writeFileSync(file, Buffer.isBuffer(entries) ? entries : createStoredZip(entries));
  return file;
}

async function openError(file: string): Promise<unknown> {
  try {
    (await SafeZip.open(file)).close();
  } catch (err) {
    return err;
  }
  throw new Error(`SafeZip.open(${file}) did not fail`);
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SafeZip', () => {
  test('lists files (not folders) with sizes and reads their exact bytes, nested and UTF-8 names included', async () => {
    const photo = randomBytes(5000);
    const files = [
      { name: 'annotations.xml', body: Buffer.from('<annotations/>') },
      { name: 'images/', body: Buffer.alloc(0) },
      { name: 'images/left/IMG_0002.jpg', body: photo },
      { name: 'images/été/Ünïcode 写真.jpg', body: Buffer.from('utf-8 name') },
    ];
    const zip = await SafeZip.open(zipFile(files));
    try {
      expect(zip.entries).toEqual([
        { name: 'annotations.xml', size: 14 },
        { name: 'images/left/IMG_0002.jpg', size: 5000 },
        { name: 'images/été/Ünïcode 写真.jpg', size: 10 },
      ]);
      expect((await zip.read('images/left/IMG_0002.jpg')).equals(photo)).toBe(true);
      expect((await zip.read('images/été/Ünïcode 写真.jpg')).toString()).toBe('utf-8 name');
      expect((await zip.read('annotations.xml')).toString()).toBe('<annotations/>');
      await expect(zip.read('images/missing.jpg')).rejects.toThrow("no entry 'images/missing.jpg' in the zip");
    } finally {
      zip.close();
    }
  });

  test('an empty zip has no entries', async () => {
    const zip = await SafeZip.open(zipFile([]));
    expect(zip.entries).toEqual([]);
    zip.close();
  });

  test('refuses a zip with entries that escape the folder, listing every one, at open', async () => {
    const hostile = ['../evil.jpg', '/abs.jpg', 'C:/x.jpg', 'a\\b.jpg', 'images/../../up.jpg'];
    const file = zipFile([
      { name: 'images/ok.jpg', body: Buffer.from('fine') },
      ...hostile.map((name) => ({ name, body: Buffer.from('payload') })),
    ]);
    const err = await openError(file);
    expect(err).toBeInstanceOf(UnsafeZipError);
    expect((err as UnsafeZipError).entries).toEqual(hostile);
    expect((err as Error).message).toMatch(/^zip refused: 5 entries escape the extraction folder/);
    for (const name of hostile) expect((err as Error).message).toContain(JSON.stringify(name));
  });

  test.each(['../evil.jpg', '/abs.jpg', 'C:/x.jpg', 'a\\b.jpg', 'x/..', 'nul\0.jpg'])('refuses a single %j entry', async (name) => {
    const err = await openError(zipFile([{ name, body: Buffer.from('x') }]));
    expect(err).toBeInstanceOf(UnsafeZipError);
    expect((err as UnsafeZipError).entries).toEqual([name]);
    expect((err as Error).message).toContain('1 entry escapes');
  });

  test('names that only look odd are fine', async () => {
    const zip = await SafeZip.open(zipFile([{ name: 'images/..hidden/a..b.jpg', body: Buffer.from('x') }]));
    expect(zip.entries.map((e) => e.name)).toEqual(['images/..hidden/a..b.jpg']);
    zip.close();
  });

  test('a file of random bytes or a truncated zip rejects with an error', async () => {
    await expect(SafeZip.open(zipFile(randomBytes(4096)))).rejects.toThrow(Error);
    const whole = createStoredZip([{ name: 'images/a.jpg', body: randomBytes(2000) }]);
    await expect(SafeZip.open(zipFile(whole.subarray(0, whole.length - 30)))).rejects.toThrow(Error);
    await expect(SafeZip.open(path.join(dir, 'missing.zip'))).rejects.toThrow(/ENOENT/);
  });
});
