/**
 * Synthetic "traffic camera" street scene as SVG: a pole-mounted camera looking down a
 * street (sky, skyline, building facades with windows, sidewalks, trees, lamp posts,
 * parked cars, a road with lane markings and a zebra crossing). Geometry is a pinhole
 * projection of a flat world so perspective is right; asphalt and facade texture come
 * from SVG turbulence. Same seed, same scene.
 */
import { createRandom, Random } from './prng';

interface Camera {
  width: number;
  height: number;
  /** Screen x of the vanishing point. */
  cx: number;
  /** Screen y of the horizon. */
  horizon: number;
  /** Focal length in pixels. */
  focal: number;
  /** Camera height above the road in metres. */
  elevation: number;
}

/** World point: x lateral (m, right positive), y up (m), z forward (m). */
type Point3 = readonly [number, number, number];

const ROAD_HALF = 7; // four 3.5 m lanes
const CURB = 10.5; // facades stand at +-CURB
const Z_NEAR = 2;
const Z_FAR = 400;

export function streetSceneSvg(seed: number | string, width = 1920, height = 1080): string {
  const rnd = createRandom(seed);
  const cam: Camera = {
    width,
    height,
    cx: width * rnd.range(0.4, 0.6),
    horizon: height * rnd.range(0.34, 0.44),
    focal: width * rnd.range(0.7, 0.9),
    elevation: rnd.range(5, 8),
  };
  const weather = rnd.pick(['clear', 'overcast', 'hazy'] as const);
  const parts: string[] = [];
  parts.push(defs(rnd, weather));
  parts.push(`<rect width="${width}" height="${height}" fill="url(#sky)"/>`);
  parts.push(clouds(rnd, cam, weather));
  parts.push(skyline(rnd, cam));
  // ground: sidewalks everywhere below the horizon, road on top
  parts.push(`<rect y="${f(cam.horizon)}" width="${width}" height="${f(height - cam.horizon)}" fill="#8d8a84"/>`);
  parts.push(poly(cam, [[-ROAD_HALF, 0, Z_NEAR], [ROAD_HALF, 0, Z_NEAR], [ROAD_HALF, 0, Z_FAR], [-ROAD_HALF, 0, Z_FAR]], 'fill="#5b5d60"'));
  parts.push(`<rect y="${f(cam.horizon)}" width="${width}" height="${f(height - cam.horizon)}" fill="#000" opacity="0.22" filter="url(#asphalt)"/>`);
  parts.push(markings(cam));
  parts.push(facades(rnd, cam, -1));
  parts.push(facades(rnd, cam, 1));
  parts.push(streetFurniture(rnd, cam));
  parts.push(parkedCars(rnd, cam));
  // weathering and fine grain over everything, then lens vignetting
  parts.push(`<rect width="${width}" height="${height}" fill="#000" opacity="0.25" filter="url(#mottle)"/>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff" opacity="0.18" filter="url(#grain)"/>`);
  parts.push(`<rect width="${width}" height="${height}" fill="url(#vignette)"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function defs(rnd: Random, weather: 'clear' | 'overcast' | 'hazy'): string {
  const [top, bottom] =
    weather === 'clear' ? [`hsl(${f(rnd.range(200, 215))},55%,${f(rnd.range(42, 55))}%)`, 'hsl(205,45%,82%)'] :
      weather === 'overcast' ? [`hsl(210,8%,${f(rnd.range(55, 65))}%)`, 'hsl(210,6%,82%)'] :
        [`hsl(${f(rnd.range(25, 40))},35%,${f(rnd.range(60, 70))}%)`, 'hsl(35,40%,85%)'];
  const seed = rnd.int(1, 9999);
  return `<defs>
<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="0.5" stop-color="${bottom}"/></linearGradient>
<radialGradient id="vignette" cx="0.5" cy="0.5" r="0.75"><stop offset="0.6" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.35"/></radialGradient>
<filter id="asphalt" x="0" y="0" width="100%" height="100%"><feTurbulence type="fractalNoise" baseFrequency="0.45" numOctaves="3" seed="${seed}"/><feColorMatrix type="matrix" values="0 0 0 0 0  0 0 0 0 0  0 0 0 0 0  0 0 0 1.6 -0.55"/></filter>
<filter id="grain" x="0" y="0" width="100%" height="100%"><feTurbulence type="fractalNoise" baseFrequency="0.7" numOctaves="2" seed="${seed + 1}"/><feColorMatrix type="matrix" values="0 0 0 0 0  0 0 0 0 0  0 0 0 0 0  0 0 0 2 -0.9"/></filter>
<filter id="mottle" x="0" y="0" width="100%" height="100%"><feTurbulence type="fractalNoise" baseFrequency="0.012 0.03" numOctaves="4" seed="${seed + 2}"/><feColorMatrix type="matrix" values="0 0 0 0 0  0 0 0 0 0  0 0 0 0 0  0 0 0 1.4 -0.5"/></filter>
<filter id="soft"><feGaussianBlur stdDeviation="18"/></filter>
</defs>`;
}

function clouds(rnd: Random, cam: Camera, weather: string): string {
  const n = weather === 'clear' ? rnd.int(2, 5) : rnd.int(6, 10);
  let out = '<g filter="url(#soft)" fill="#fff">';
  for (let i = 0; i < n; i++) {
    out += `<ellipse cx="${f(rnd.range(0, cam.width))}" cy="${f(rnd.range(0, cam.horizon * 0.8))}" rx="${f(rnd.range(80, 320))}" ry="${f(rnd.range(20, 60))}" opacity="${f(rnd.range(0.25, 0.7))}"/>`;
  }
  return out + '</g>';
}

/** Distant buildings standing on the horizon, facing the camera. */
function skyline(rnd: Random, cam: Camera): string {
  let out = '<g>';
  let x = 0;
  while (x < cam.width) {
    const w = rnd.range(40, 160);
    const h = rnd.range(20, cam.horizon * 0.45);
    const grey = rnd.int(120, 175);
    out += `<rect x="${f(x)}" y="${f(cam.horizon - h)}" width="${f(w + 1)}" height="${f(h + 1)}" fill="rgb(${grey},${grey + rnd.int(-6, 6)},${grey + rnd.int(0, 12)})"/>`;
    x += w;
  }
  return out + '</g>';
}

function markings(cam: Camera): string {
  let out = '<g fill="#e9e7df" opacity="0.9">';
  // edge lines
  for (const side of [-1, 1]) {
    const x = side * (ROAD_HALF - 0.3);
    out += poly(cam, [[x - 0.08, 0, Z_NEAR], [x + 0.08, 0, Z_NEAR], [x + 0.08, 0, Z_FAR], [x - 0.08, 0, Z_FAR]]);
  }
  // dashed lane lines: 3 m dash, 9 m gap (French urban T1)
  for (const x of [-3.5, 0, 3.5]) {
    for (let z = 4; z < 220; z += 12) {
      out += poly(cam, [[x - 0.08, 0, z], [x + 0.08, 0, z], [x + 0.08, 0, z + 3], [x - 0.08, 0, z + 3]]);
    }
  }
  // zebra crossing
  const z0 = 22;
  for (let x = -ROAD_HALF + 0.5; x < ROAD_HALF - 0.5; x += 1.1) {
    out += poly(cam, [[x, 0, z0], [x + 0.55, 0, z0], [x + 0.55, 0, z0 + 4], [x, 0, z0 + 4]]);
  }
  return out + '</g>';
}

/** Building facades along one side of the street (side -1 left, 1 right), far to near. */
function facades(rnd: Random, cam: Camera, side: -1 | 1): string {
  const blocks: { z0: number; z1: number; h: number; colour: string; windowColour: string; floors: number }[] = [];
  let z = Z_NEAR;
  while (z < 160) {
    const len = rnd.range(8, 25);
    const floors = rnd.int(3, 8);
    const hue = rnd.pick([30, 35, 40, 20, 210, 0]);
    const light = rnd.int(48, 80);
    blocks.push({
      z0: z,
      z1: z + len,
      h: floors * 3.1 + rnd.range(0.5, 2),
      colour: `hsl(${hue},${rnd.int(5, 30)}%,${light - (side === 1 ? 12 : 0)}%)`,
      windowColour: `hsl(210,${rnd.int(5, 20)}%,${rnd.int(18, 38)}%)`,
      floors,
    });
    z += len;
  }
  const x = side * CURB;
  let out = '<g>';
  for (const b of blocks.reverse()) {
    out += poly(cam, [[x, 0, b.z0], [x, 0, b.z1], [x, b.h, b.z1], [x, b.h, b.z0]], `fill="${b.colour}"`);
    // windows: one column every 3 m, one row per floor above a shop-front ground floor
    for (let floor = 1; floor < b.floors; floor++) {
      const y0 = floor * 3.1 + 0.9;
      for (let wz = b.z0 + 1; wz + 1.4 < b.z1; wz += 3) {
        out += poly(cam, [[x, y0, wz], [x, y0, wz + 1.3], [x, y0 + 1.6, wz + 1.3], [x, y0 + 1.6, wz]], `fill="${b.windowColour}"`);
      }
    }
    // shop front
    out += poly(cam, [[x, 0.3, b.z0 + 0.5], [x, 0.3, b.z1 - 0.5], [x, 2.6, b.z1 - 0.5], [x, 2.6, b.z0 + 0.5]], `fill="hsl(200,10%,${rnd.int(15, 35)}%)"`);
  }
  return out + '</g>';
}

function streetFurniture(rnd: Random, cam: Camera): string {
  const items: { z: number; svg: string }[] = [];
  for (const side of [-1, 1]) {
    for (let z = rnd.range(8, 14); z < 150; z += rnd.range(12, 18)) {
      const x = side * 8.7;
      if (rnd.next() < 0.6) {
        // tree: trunk + crown
        const trunk = poly(cam, [[x - 0.15, 0, z], [x + 0.15, 0, z], [x + 0.15, 3.2, z], [x - 0.15, 3.2, z]], 'fill="#4a3b2c"');
        const [cx, cy] = project(cam, [x, 4.6, z]);
        const r = (cam.focal * rnd.range(1.6, 2.4)) / z;
        const hue = rnd.int(85, 120);
        const sat = rnd.int(25, 45);
        const light = rnd.int(22, 34);
        const crown = `<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r)}" fill="hsl(${hue},${sat}%,${light}%)"/>` +
          `<circle cx="${f(cx - r * 0.3)}" cy="${f(cy - r * 0.3)}" r="${f(r * 0.6)}" fill="hsl(${hue},${sat}%,${light + 8}%)" opacity="0.8"/>`;
        items.push({ z, svg: trunk + crown });
      } else {
        // lamp post with an arm over the road
        const pole = poly(cam, [[x - 0.08, 0, z], [x + 0.08, 0, z], [x + 0.08, 8, z], [x - 0.08, 8, z]], 'fill="#3b3f44"');
        const arm = poly(cam, [[x, 7.8, z], [x - side * 2.5, 7.8, z], [x - side * 2.5, 8, z], [x, 8, z]], 'fill="#3b3f44"');
        items.push({ z, svg: pole + arm });
      }
    }
  }
  return '<g>' + items.sort((a, b) => b.z - a.z).map((i) => i.svg).join('') + '</g>';
}

/** A few cars parked along the curbs: the static vehicles every street camera sees. */
function parkedCars(rnd: Random, cam: Camera): string {
  const cars: { z: number; svg: string }[] = [];
  for (const side of [-1, 1]) {
    for (let z = rnd.range(10, 20); z < 120; z += rnd.range(6, 30)) {
      const x = side * (ROAD_HALF - 1.2);
      const colour = rnd.pick(['#d9dadc', '#202225', '#9ea3a8', '#5a5f66', '#8c1c22', '#274b86', '#e3e0d8']);
      const body = poly(cam, [[x - 0.9, 0.3, z], [x + 0.9, 0.3, z], [x + 0.9, 1.0, z], [x - 0.9, 1.0, z]], `fill="${colour}"`);
      const roof = poly(cam, [[x - 0.75, 1.0, z + 0.3], [x + 0.75, 1.0, z + 0.3], [x + 0.6, 1.45, z + 0.5], [x - 0.6, 1.45, z + 0.5]], 'fill="#23282e"');
      const wheels = poly(cam, [[x - 0.9, 0, z], [x + 0.9, 0, z], [x + 0.9, 0.3, z], [x - 0.9, 0.3, z]], 'fill="#111"');
      cars.push({ z, svg: wheels + body + roof });
    }
  }
  return '<g>' + cars.sort((a, b) => b.z - a.z).map((c) => c.svg).join('') + '</g>';
}

function project(cam: Camera, [x, y, z]: Point3): [number, number] {
  return [cam.cx + (cam.focal * x) / z, cam.horizon + (cam.focal * (cam.elevation - y)) / z];
}

function poly(cam: Camera, points: Point3[], attrs = ''): string {
  const pts = points.map((p) => project(cam, p).map(f).join(',')).join(' ');
  return `<polygon points="${pts}" ${attrs}/>`;
}

function f(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
