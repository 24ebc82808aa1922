/**
 * Camera-like test frames drawn with sharp: a street scene per seed, the same scene
 * re-encoded with sensor noise and a light change, and variants with a vehicle added.
 */
import sharp from 'sharp';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export async function scene(seed: number, width = 640, height = 360): Promise<Buffer> {
  const r = rng(seed);
  const shapes: string[] = [];
  for (let i = 0; i < 14; i++) {
    const x = Math.floor(r() * width);
    const w = 30 + Math.floor(r() * 120);
    const h = 60 + Math.floor(r() * 160);
    const grey = 60 + Math.floor(r() * 150);
    shapes.push(`<rect x="${x}" y="${height * 0.55 - h}" width="${w}" height="${h}" fill="rgb(${grey},${grey - 10},${grey - 20})"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="rgb(${90 + Math.floor(r() * 60)},140,210)"/><stop offset="1" stop-color="rgb(220,225,235)"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>${shapes.join('')}
    <rect y="${height * 0.55}" width="100%" height="${height * 0.45}" fill="rgb(70,72,75)"/>
    <rect x="0" y="${height * 0.76}" width="100%" height="6" fill="rgb(230,230,230)" stroke-dasharray="40 30"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** Same scene, new exposure: brightness change, Gaussian-like noise, another JPEG quality. */
export async function reencodeWithNoise(jpeg: Buffer, seed: number, brightness = 1.03, quality = 78): Promise<Buffer> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const r = rng(seed);
  for (let i = 0; i < data.length; i++) {
    const noise = (r() + r() + r() - 1.5) * 6;
    data[i] = Math.max(0, Math.min(255, Math.round(data[i] * brightness + noise)));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).jpeg({ quality }).toBuffer();
}

/** The scene with a vehicle-sized object pasted at a position. */
export async function withVehicle(jpeg: Buffer, x: number, y: number, width = 160, height = 90): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" rx="14" fill="rgb(200,30,40)"/>
    <rect x="${width * 0.15}" y="${height * 0.12}" width="${width * 0.7}" height="${height * 0.3}" fill="rgb(30,40,60)"/></svg>`;
  return sharp(jpeg).composite([{ input: Buffer.from(svg), left: x, top: y }]).jpeg({ quality: 85 }).toBuffer();
}

export function truncate(jpeg: Buffer, fraction = 0.6): Buffer {
  return jpeg.subarray(0, Math.floor(jpeg.length * fraction));
}

export async function tinyImage(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer();
}
