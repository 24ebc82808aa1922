/**
 * Reads the IJG quality a JPEG was encoded with from its luminance quantisation table
 * (libjpeg scales the standard Annex K table by quality). Independent of our encoder.
 */
const STD_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22,
  37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
// Zigzag order in which DQT stores the 64 entries.
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

function lumaTable(jpeg: Buffer): number[] | undefined {
  let i = 2;
  while (i + 4 < jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1];
    const length = jpeg.readUInt16BE(i + 2);
    if (marker === 0xdb) {
      let p = i + 4;
      while (p < i + 2 + length) {
        const precision = jpeg[p] >> 4;
        const id = jpeg[p] & 0x0f;
        const values: number[] = [];
        for (let k = 0; k < 64; k++) values.push(precision ? jpeg.readUInt16BE(p + 1 + 2 * k) : jpeg[p + 1 + k]);
        if (id === 0) {
          const natural = new Array<number>(64);
          ZIGZAG.forEach((pos, k) => (natural[pos] = values[k]));
          return natural;
        }
        p += 1 + 64 * (precision ? 2 : 1);
      }
    }
    if (marker === 0xda) return undefined;
    i += 2 + length;
  }
  return undefined;
}

/** The quality 1-100 whose scaled standard table equals the file's, or undefined. */
export function jpegQuality(jpeg: Buffer): number | undefined {
  const table = lumaTable(jpeg);
  if (!table) return undefined;
  for (let q = 1; q <= 100; q++) {
    const scale = q < 50 ? 5000 / q : 200 - 2 * q;
    const expected = STD_LUMA.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
    if (expected.every((v, k) => v === table[k])) return q;
  }
  return undefined;
}
