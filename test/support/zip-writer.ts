/**
 * A small zip writer for test stand-ins: every entry STOREd (method 0, no
 * compression), names flagged UTF-8 (bit 11), CRC-32 and sizes in the local
 * headers, no zip64 (each entry and the whole archive under 4 GiB). Names are
 * written exactly as given, so a test can build hostile archives ('../x', '/x').
 */

export interface ZipEntryInput {
  name: string;
  body: Buffer;
  /** Defaults to 2024-06-01 12:00:00 so the same entries give the same bytes. */
  modified?: Date;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const DEFAULT_TIME = new Date(2024, 5, 1, 12, 0, 0);
const UTF8_NAMES = 0x0800;
const LIMIT = 0xffffffff;

function dosDateTime(date: Date): { time: number; day: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** The whole archive in memory. */
export function createStoredZip(entries: ZipEntryInput[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    if (entry.body.length >= LIMIT || offset >= LIMIT) throw new Error(`zip entry '${entry.name}' needs zip64, which this writer does not do`);
    const crc = crc32(entry.body);
    const { time, day } = dosDateTime(entry.modified ?? DEFAULT_TIME);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(day, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.body.length, 18);
    local.writeUInt32LE(entry.body.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    header.writeUInt16LE(10, 6);
    header.writeUInt16LE(UTF8_NAMES, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(day, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(entry.body.length, 20);
    header.writeUInt32LE(entry.body.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(0, 30); // extra
    header.writeUInt16LE(0, 32); // comment
    header.writeUInt16LE(0, 34); // disk
    header.writeUInt16LE(0, 36); // internal attributes
    header.writeUInt32LE(((entry.name.endsWith('/') ? 0o40755 : 0o100644) << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);

    parts.push(local, name, entry.body);
    central.push(header, name);
    offset += local.length + name.length + entry.body.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  if (entries.length > 0xffff || offset + centralSize >= LIMIT) throw new Error('zip needs zip64, which this writer does not do');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...parts, ...central, end]);
}
