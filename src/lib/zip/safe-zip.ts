/**
 * Read-only access to a zip file whose every entry name was checked first: no
 * absolute paths, drive letters, backslashes, NUL or '..' segments. A zip with any
 * such entry is refused whole, before anything is read from it.
 */
import yauzl, { Entry, ZipFile } from 'yauzl';

export class UnsafeZipError extends Error {
  constructor(readonly entries: string[]) {
    super(`zip refused: ${entries.length} entr${entries.length === 1 ? 'y escapes' : 'ies escape'} the extraction folder: ${entries.slice(0, 5).map((e) => JSON.stringify(e)).join(', ')}`);
    this.name = 'UnsafeZipError';
  }
}

export interface ZipEntryInfo {
  name: string;
  size: number;
}

export function unsafeEntryName(name: string): boolean {
  return (
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').some((segment) => segment === '..')
  );
}

export class SafeZip {
  private constructor(
    private readonly zip: ZipFile,
    private readonly byName: Map<string, Entry>,
    readonly entries: ZipEntryInfo[],
  ) {}

  static async open(file: string): Promise<SafeZip> {
    const zip = await new Promise<ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false }, (err, z) => (err ? reject(err) : resolve(z))),
    );
    const byName = new Map<string, Entry>();
    const unsafe: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        zip.on('entry', (entry: Entry) => {
          const raw = entry.fileName as unknown as Buffer;
          // Bit 11: UTF-8 names; otherwise CP437, which matches latin1 for ASCII names.
          const name = raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1');
          if (unsafeEntryName(name)) unsafe.push(name);
          else if (!name.endsWith('/')) byName.set(name, entry);
          zip.readEntry();
        });
        zip.on('end', () => resolve());
        zip.on('error', reject);
        zip.readEntry();
      });
    } catch (err) {
      zip.close();
      throw err;
    }
    if (unsafe.length > 0) {
      zip.close();
      throw new UnsafeZipError(unsafe);
    }
    const entries = [...byName.entries()].map(([name, e]) => ({ name, size: e.uncompressedSize }));
    return new SafeZip(zip, byName, entries);
  }

  async read(name: string): Promise<Buffer> {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`no entry '${name}' in the zip`);
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
    );
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.zip.close();
  }
}
