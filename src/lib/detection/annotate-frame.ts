/** Draws detection boxes and labels onto a frame (sharp composite of an SVG overlay). */
import sharp from 'sharp';
import { Detection } from './detection';

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function annotateFrame(jpeg: Buffer, detections: Detection[], quality = 85): Promise<Buffer> {
  const meta = await sharp(jpeg).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const shapes = detections
    .filter((d) => d.Geometry?.BoundingBox)
    .map((d) => {
      const b = d.Geometry!.BoundingBox;
      const x = Math.round(b.Left * width);
      const y = Math.round(b.Top * height);
      const label = `${escape(d.Name)} ${d.Confidence.toFixed(0)}%`;
      return `<rect x="${x}" y="${y}" width="${Math.round(b.Width * width)}" height="${Math.round(b.Height * height)}" fill="none" stroke="#00ff66" stroke-width="3"/>
        <rect x="${x}" y="${Math.max(0, y - 22)}" width="${label.length * 9 + 8}" height="20" fill="#00ff66"/>
        <text x="${x + 4}" y="${Math.max(15, y - 7)}" font-family="DejaVu Sans, sans-serif" font-size="15" fill="#000">${label}</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes}</svg>`;
  return sharp(jpeg).composite([{ input: Buffer.from(svg) }]).jpeg({ quality }).toBuffer();
}
