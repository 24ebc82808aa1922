import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkFolderPrefix, checkKey, checkPrefix, ObjectInfo, PutOptions, Storage, StoredObject } from './storage';

/** Hidden folder beside objects that holds their metadata, one JSON file per object. */
const META_DIR = '.visionflow-meta';

/** Storage in a local folder. Writes go to a temp file in the same folder, then rename. */
export class FileStorage implements Storage {
  readonly url: string;

  constructor(readonly root: string) {
    if (!path.isAbsolute(root)) throw new Error(`file storage root must be absolute, got '${root}'`);
    this.url = pathToFileURL(root).href;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private metaPathOf(target: string): string {
    return path.join(path.dirname(target), META_DIR, `${path.basename(target)}.json`);
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Metadata first, then the object: an object that exists always has its metadata.
    const metaPath = this.metaPathOf(target);
    if (options.metadata && Object.keys(options.metadata).length > 0) {
      await fs.mkdir(path.dirname(metaPath), { recursive: true });
      await writeAtomic(metaPath, JSON.stringify(options.metadata));
    } else {
      await fs.rm(metaPath, { force: true });
    }
    await writeAtomic(target, body);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const target = this.pathOf(key);
    let size: number;
    try {
      const stat = await fs.stat(target);
      if (!stat.isFile()) return undefined;
      size = stat.size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let metadata: Record<string, string> = {};
    try {
      metadata = JSON.parse(await fs.readFile(this.metaPathOf(target), 'utf8')) as Record<string, string>;
    } catch {
      // an object written without metadata
    }
    return { size, metadata };
  }

  async list(prefix: string): Promise<StoredObject[]> {
    checkPrefix(prefix);
    // Only walk the deepest folder the prefix names, so listing one camera's
    // folder does not read the whole tree.
    const slash = prefix.lastIndexOf('/');
    const baseKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const out: StoredObject[] = [];
    await this.walk(baseKey, prefix, out);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async walk(dirKey: string, prefix: string, out: StoredObject[]): Promise<void> {
    const dir = dirKey ? path.join(this.root, ...dirKey.split('/')) : this.root;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name === META_DIR) continue;
      if (entry.name.startsWith('.') && entry.name.endsWith('.tmp')) continue; // in-flight writes
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      // Follow symbolic links (photo folders often are links); a dangling one is no object.
      const target = entry.isSymbolicLink() ? await fs.stat(path.join(dir, entry.name)).catch(() => undefined) : entry;
      if (!target) continue;
      if (target.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out);
      } else if (target.isFile() && key.startsWith(prefix)) {
        const stat = await fs.stat(path.join(dir, entry.name));
        out.push({ key, size: stat.size });
      }
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.rm(target, { force: true });
    await fs.rm(this.metaPathOf(target), { force: true });
  }

  async deleteFolder(prefix: string): Promise<number> {
    const objects = await this.list(checkFolderPrefix(prefix));
    const dir = path.join(this.root, ...prefix.slice(0, -1).split('/'));
    if (await fs.lstat(dir).then((s) => s.isSymbolicLink(), () => false)) {
      // Through a link, delete what it shows, never the tree it points to.
      for (const o of objects) await this.delete(o.key);
    } else {
      // The folder as a whole: with it go the temp files of writes a killed process never finished, which list() hides.
      await fs.rm(dir, { recursive: true, force: true });
    }
    return objects.length;
  }
}

/** Temp file in the target's folder, fsync, rename: readers see the old or the new file. */
async function writeAtomic(target: string, body: Buffer | string): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
