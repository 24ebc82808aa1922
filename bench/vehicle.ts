/**
 * Side-view vehicles drawn as SVG, sized by the share of the frame they cover, to
 * composite into a frame as the "something changed" event a camera should keep.
 */
import { Random } from './prng';
import { Overlay } from './raw-image';

export type VehicleKind = 'car' | 'bus';

const ASPECT: Record<VehicleKind, number> = { car: 2.2, bus: 3.0 };

const BODY_COLOURS = ['#e6e7e9', '#1d1f22', '#a4a9ae', '#596069', '#a61d27', '#24508f', '#2f5b3a', '#e0b622', '#f2f2ee'];

/**
 * A vehicle covering `areaFraction` of a `frameWidth` x `frameHeight` frame (its bounding
 * box), at a random position inside the frame whose top is at or below `minTopFraction`
 * of the height (street scenes: on the road, not in the sky).
 */
export function vehicleOverlay(
  kind: VehicleKind,
  areaFraction: number,
  frameWidth: number,
  frameHeight: number,
  minTopFraction: number,
  rnd: Random,
): Overlay & { width: number; height: number; colour: string } {
  const area = areaFraction * frameWidth * frameHeight;
  const height = Math.round(Math.sqrt(area / ASPECT[kind]));
  const width = Math.round(height * ASPECT[kind]);
  const colour = rnd.pick(BODY_COLOURS);
  const minTop = Math.min(frameHeight * minTopFraction, frameHeight - height);
  return {
    svg: kind === 'car' ? carSvg(width, height, colour) : busSvg(width, height, colour),
    left: rnd.range(0, frameWidth - width),
    top: rnd.range(minTop, frameHeight - height),
    width,
    height,
    colour,
  };
}

function carSvg(w: number, h: number, colour: string): string {
  const r = h * 0.14;
  return svg(w, h, `
<defs><linearGradient id="body" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fff" stop-opacity="0.25"/><stop offset="1" stop-color="#000" stop-opacity="0.25"/></linearGradient></defs>
<ellipse cx="${w / 2}" cy="${h * 0.93}" rx="${w * 0.48}" ry="${h * 0.07}" fill="#000" opacity="0.45"/>
<rect x="${w * 0.2}" y="${h * 0.03}" width="${w * 0.56}" height="${h * 0.5}" rx="${r}" fill="${colour}"/>
<rect x="${w * 0.24}" y="${h * 0.09}" width="${w * 0.48}" height="${h * 0.3}" rx="${r * 0.5}" fill="#1b232b" opacity="0.9"/>
<rect x="0" y="${h * 0.36}" width="${w}" height="${h * 0.42}" rx="${r}" fill="${colour}"/>
<rect x="0" y="${h * 0.03}" width="${w}" height="${h * 0.75}" rx="${r}" fill="url(#body)" opacity="0.6"/>
<circle cx="${w * 0.2}" cy="${h * 0.78}" r="${h * 0.16}" fill="#121212"/>
<circle cx="${w * 0.8}" cy="${h * 0.78}" r="${h * 0.16}" fill="#121212"/>
<circle cx="${w * 0.2}" cy="${h * 0.78}" r="${h * 0.07}" fill="#8a8d90"/>
<circle cx="${w * 0.8}" cy="${h * 0.78}" r="${h * 0.07}" fill="#8a8d90"/>`);
}

function busSvg(w: number, h: number, colour: string): string {
  const r = h * 0.08;
  return svg(w, h, `
<ellipse cx="${w / 2}" cy="${h * 0.95}" rx="${w * 0.49}" ry="${h * 0.05}" fill="#000" opacity="0.45"/>
<rect x="0" y="0" width="${w}" height="${h * 0.86}" rx="${r}" fill="${colour}"/>
<rect x="${w * 0.03}" y="${h * 0.1}" width="${w * 0.94}" height="${h * 0.36}" rx="${r * 0.5}" fill="#18212a" opacity="0.9"/>
<rect x="${w * 0.08}" y="${h * 0.5}" width="${w * 0.07}" height="${h * 0.32}" fill="#18212a" opacity="0.8"/>
<rect x="${w * 0.5}" y="${h * 0.5}" width="${w * 0.07}" height="${h * 0.32}" fill="#18212a" opacity="0.8"/>
<rect x="0" y="${h * 0.62}" width="${w}" height="${h * 0.05}" fill="#fff" opacity="0.35"/>
<circle cx="${w * 0.18}" cy="${h * 0.84}" r="${h * 0.12}" fill="#121212"/>
<circle cx="${w * 0.82}" cy="${h * 0.84}" r="${h * 0.12}" fill="#121212"/>`);
}

function svg(w: number, h: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${body}</svg>`;
}
