/** The synthetic blur generator on real photographs: parameters, sharpness, dataset layout, reruns. */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import sharp from 'sharp';
import { BLUR_CLASSES } from '../../src/lib/blur/blur-classes';
import { readBlurDataset } from '../../src/lib/blur/blur-dataset';
import { seededRandom } from '../../src/lib/blur/seeded-random';
import { NoPhotosError, sceneIds, slug, synthesizeDataset, SynthImageRecord } from '../../src/lib/blur/synthesize-dataset';
import { drawSceneParams, photoSize, readCrop, SceneParams, synthesizeScene } from '../../src/lib/blur/synthesize-scene';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { tempDir } from '../support/harness';
import { testPhotos } from '../support/photos';

/** Variance of the 4-neighbour Laplacian of the grey image: the usual focus measure. */
async function laplacianVariance(image: Buffer | { data: Uint8Array; width: number; height: number; channels: number }): Promise<number> {
  const input = Buffer.isBuffer(image) ? sharp(image) : sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 3 } });
  const { data, info } = await input.greyscale().raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < info.height - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = 4 * data[i] - data[i - 1] - data[i + 1] - data[i - w] - data[i + w];
      sum += l;
      sumSq += l * l;
      n++;
    }
  }
  return sumSq / n - (sum / n) ** 2;
}

/** All files under a folder (object metadata excluded), relative path -> bytes. */
function filesUnder(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !full.includes('.visionflow-meta')) out.set(path.relative(root, full), fs.readFileSync(full));
  }
  return out;
}

describe('scene parameters', () => {
  test('crop keeps 60-100 % of the area and the aspect; blur strengths scale with the working size', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const p = drawSceneParams(seededRandom(seed), { width: 3000, height: 2000 }, 512);
      const { left, top, width, height } = p.crop;
      expect(left).toBeGreaterThanOrEqual(0);
      expect(top).toBeGreaterThanOrEqual(0);
      expect(left + width).toBeLessThanOrEqual(3000);
      expect(top + height).toBeLessThanOrEqual(2000);
      const area = (width * height) / (3000 * 2000);
      expect(area).toBeGreaterThanOrEqual(0.59);
      expect(area).toBeLessThanOrEqual(1);
      expect(width / height).toBeCloseTo(1.5, 2);
      expect([p.width, p.height]).toEqual([512, Math.round((height * 512) / width)]);
      expect(p.defocusRadius).toBeGreaterThanOrEqual(2);
      expect(p.defocusRadius).toBeLessThanOrEqual(4);
      expect(p.motionLength).toBeGreaterThanOrEqual(6.5);
      expect(p.motionLength).toBeLessThanOrEqual(30);
      for (const c of BLUR_CLASSES) {
        expect(p.finish[c].quality).toBeGreaterThanOrEqual(75);
        expect(p.finish[c].quality).toBeLessThanOrEqual(95);
        expect(Number.isInteger(p.finish[c].quality)).toBe(true);
      }
    }
  });

  test('a crop smaller than the working size is not enlarged (that would soften the sharp class)', () => {
    const p = drawSceneParams(seededRandom(3), { width: 600, height: 400 }, 1024);
    expect(p.width).toBe(p.crop.width);
    expect(p.height).toBe(p.crop.height);
    const scale = p.crop.width / 1024;
    expect(p.defocusRadius).toBeGreaterThanOrEqual(4 * scale);
    expect(p.defocusRadius).toBeLessThanOrEqual(8 * scale);
  });
});

describe('blur on real photos', () => {
  const photos = testPhotos(3);

  /** One crop of the photo at 512 px, synthesized with each set of blur strengths. */
  async function scenes(photo: string, ...strengths: Partial<SceneParams>[]) {
    const bytes = fs.readFileSync(photo);
    const drawn = drawSceneParams(seededRandom(1), await photoSize(bytes), 512);
    const crop = await readCrop(bytes, drawn);
    const original = await laplacianVariance(crop);
    return Promise.all(
      strengths.map(async (s) => {
        const params = { ...drawn, ...s };
        const images = await synthesizeScene(crop, params);
        const [sharpV, defocused, motion] = await Promise.all(BLUR_CLASSES.map((c) => laplacianVariance(images.jpeg[c])));
        return { original, sharp: sharpV, defocused, motion, images, params };
      }),
    );
  }

  test.each(photos)('%s: defocus r=4 and motion 13 px lower the Laplacian variance by a large factor; noise + JPEG alone keep it', async (photo) => {
    // r 4 and 13 px, and the weakest blur of the range at this size (r 4 and 13 px at 1024 -> 2 and 6.5 at 512).
    const [s, weakest] = await scenes(photo, { defocusRadius: 4, motionLength: 13 }, { defocusRadius: 2, motionLength: 6.5 });
    expect(s.sharp / s.defocused).toBeGreaterThan(5);
    expect(s.sharp / s.motion).toBeGreaterThan(5);
    expect(s.sharp / s.original).toBeGreaterThan(0.8);
    expect(s.sharp / s.original).toBeLessThan(1.35);
    expect(weakest.sharp / weakest.defocused).toBeGreaterThan(2.5);
    expect(weakest.sharp / weakest.motion).toBeGreaterThan(2.5);
  });

  test('the three classes of one variant are the same crop at the same size', async () => {
    const [s] = await scenes(photos[0], {});
    const sizes = await Promise.all(BLUR_CLASSES.map(async (c) => sharp(s.images.jpeg[c]).metadata()));
    for (const m of sizes) expect([m.width, m.height, m.format]).toEqual([s.params.width, s.params.height, 'jpeg']);
    expect(s.images.motionAnisotropy).toBeGreaterThan(1);
  });
});

describe('scene ids', () => {
  test('slug of the file name without underscores; KDE wallpapers by package name; twins numbered', () => {
    expect(slug('Bridge_by_Sander_Klootwijk')).toBe('bridge-by-sander-klootwijk');
    expect(slug('Café  Crème')).toBe('cafe-creme');
    expect(slug('___')).toBe('photo');
    expect(
      sceneIds([
        'a/Bridge_by_Sander_Klootwijk.jpg',
        'Autumn/contents/images/1920x1080.jpg',
        'b/bridge-by-sander-klootwijk.png',
        'c/Bridge by Sander Klootwijk.webp',
        'bridge-by-sander-klootwijk-2.jpg',
      ]),
    ).toEqual(['bridge-by-sander-klootwijk', 'autumn', 'bridge-by-sander-klootwijk-3', 'bridge-by-sander-klootwijk-4', 'bridge-by-sander-klootwijk-2']);
    // The input folder is the package itself; a `contents/images/` folder of ordinary photos is not a package.
    expect(sceneIds(['contents/images/2560x1600.jpg'], 'Autumn')).toEqual(['autumn']);
    expect(sceneIds(['trip/contents/images/IMG_0001.jpg'])).toEqual(['img-0001']);
  });
});

describe('synthesizeDataset', () => {
  let input: string;
  beforeAll(async () => {
    // Small copies of real photos keep the decode cheap; the layout is what matters here.
    input = tempDir('blur-synth-in');
    const [bridge, dragonfly] = testPhotos(2);
    const small = (file: string) => sharp(file).resize(800);
    fs.mkdirSync(path.join(input, 'lomiri'));
    await small(bridge).jpeg().toFile(path.join(input, 'lomiri/Bridge_by_Sander_Klootwijk.jpg'));
    await small(dragonfly).jpeg().toFile(path.join(input, 'Dragonfly_by_Bolly.jpg'));
    await small(dragonfly).flop().png().toFile(path.join(input, 'Dragonfly_by_Bolly.png'));
    // A KDE wallpaper package: several sizes and a screenshot of one scene.
    const kde = path.join(input, 'kde/Kite/contents');
    fs.mkdirSync(path.join(kde, 'images'), { recursive: true });
    await small(bridge).flip().jpeg().toFile(path.join(kde, 'images/2560x1600.jpg'));
    await sharp(bridge).resize(320).jpeg().toFile(path.join(kde, 'images/640x480.jpg'));
    await sharp(bridge).resize(200).jpeg().toFile(path.join(kde, 'screenshot.jpg'));
    fs.writeFileSync(path.join(input, 'notes.txt'), 'not a photo');
  });

  const run = (to: string, extra: Partial<Parameters<typeof synthesizeDataset>[0]> = {}) =>
    synthesizeDataset({ from: new FileStorage(input), to: new FileStorage(to), size: 128, seed: 1, variants: 2, ...extra });

  // One full run (seed 1, two variants) that several tests read.
  let out: string;
  let result: Awaited<ReturnType<typeof synthesizeDataset>>;
  const progress: number[] = [];
  beforeAll(async () => {
    out = tempDir('blur-synth-out');
    result = await run(out, { onProgress: (p) => progress.push(p.done) });
  });

  test('writes the layout the blur dataset reader expects, with every parameter in synth.json; a rerun rewrites nothing', async () => {
    expect(result).toMatchObject({ photos: 4, variants: 2, images: 24, written: 24, skipped: 0, unreadable: [], manifest: 'synth.json' });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const scenes = ['bridge-by-sander-klootwijk', 'dragonfly-by-bolly', 'dragonfly-by-bolly-2', 'kite'];
    const expected = scenes.flatMap((s) => ['synth1', 'synth2'].flatMap((d) => [`sharp/${s}_${d}_S.jpg`, `defocused_blurred/${s}_${d}_F.jpg`, `motion_blurred/${s}_${d}_M.jpg`]));
    const files = filesUnder(out);
    expect([...files.keys()].sort()).toEqual([...expected, 'synth.json'].sort());

    // The dataset reader sees every image, with its class, scene and device, and nothing odd.
    const listing = await readBlurDataset(new FileStorage(out), '');
    expect(listing).toMatchObject({ mismatches: [], unnamed: [], ignored: ['synth.json'] });
    expect(listing.items).toHaveLength(24);
    expect(new Set(listing.items.map((i) => i.scene))).toEqual(new Set(scenes));
    expect(new Set(listing.items.map((i) => i.device))).toEqual(new Set(['synth1', 'synth2']));

    const manifest = JSON.parse(files.get('synth.json')!.toString('utf8'));
    expect(manifest).toMatchObject({ seed: 1, size: 128, variants: 2, photos: 4 });
    const records: SynthImageRecord[] = manifest.images;
    expect(records.map((r) => r.key).sort()).toEqual(expected.sort());
    const kite = records.filter((r) => r.scene === 'kite');
    expect(new Set(kite.map((r) => r.source))).toEqual(new Set(['kde/Kite/contents/images/2560x1600.jpg']));
    for (const r of records) {
      const meta = await sharp(files.get(r.key)!).metadata();
      expect([meta.width, meta.height]).toEqual([r.width, r.height]);
      expect(Math.max(r.width, r.height)).toBe(128);
      expect(r.jpegQuality).toBeGreaterThanOrEqual(75);
      expect(r.noise.sigmaMidGrey).toBeGreaterThanOrEqual(1);
      // Strengths are given at 1024 px: radius 4-8 and length 13-60 become an eighth at 128 px.
      if (r.blur.kind === 'disk') expect([r.blur.radius >= 0.5, r.blur.radius <= 1]).toEqual([true, true]);
      if (r.blur.kind === 'shake') expect([r.blur.length >= 13 / 8, r.blur.length <= 60 / 8, r.blur.anisotropy > 1]).toEqual([true, true, true]);
      expect(r.blur.kind).toBe({ sharp: 'none', defocused: 'disk', motion: 'shake' }[r.class]);
      // The three classes of one variant share the crop.
      const siblings = records.filter((o) => o.scene === r.scene && o.device === r.device);
      expect(siblings).toHaveLength(3);
      for (const o of siblings) expect(o.crop).toEqual(r.crop);
    }
    // Variants of a photo use different crops.
    const crops = new Set(records.filter((r) => r.class === 'sharp').map((r) => JSON.stringify([r.scene, r.crop])));
    expect(crops.size).toBe(8);

    const mtimes = () => [...files.keys()].map((k) => fs.statSync(path.join(out, k)).mtimeMs);
    const before = mtimes();
    const again = await run(out);
    expect(again).toMatchObject({ written: 0, skipped: 24, images: 24 });
    expect(mtimes()).toEqual(before);
  });

  test('the same seed gives byte-identical images (variants are independent); another seed other images', async () => {
    const [a, c] = [tempDir('blur-synth-a'), tempDir('blur-synth-c')];
    await run(a, { variants: 1 });
    await run(c, { variants: 1, seed: 2 });
    const [fa, fb, fc] = [filesUnder(a), filesUnder(out), filesUnder(c)];
    for (const [key, bytes] of fa) {
      if (key === 'synth.json') continue;
      expect(fb.get(key)?.equals(bytes)).toBe(true);
      expect(fc.get(key)?.equals(bytes)).toBe(false);
    }
  });

  test('outputs inside the input folder are not read back as photos', async () => {
    const out = path.join(input, 'dataset');
    await run(out, { variants: 1 });
    const again = await run(out, { variants: 1 });
    expect(again).toMatchObject({ photos: 4, written: 0, skipped: 12 });
    fs.rmSync(out, { recursive: true });
  });

  test('an unreadable photo is reported by name and the others still complete', async () => {
    const dir = tempDir('blur-synth-broken');
    fs.copyFileSync(path.join(input, 'Dragonfly_by_Bolly.jpg'), path.join(dir, 'good.jpg'));
    fs.writeFileSync(path.join(dir, 'broken.jpg'), Buffer.from('this is not a JPEG at all'));
    const out = tempDir('blur-synth-broken-out');
    const result = await synthesizeDataset({ from: new FileStorage(dir), to: new FileStorage(out), size: 128 });
    expect(result).toMatchObject({ photos: 1, images: 3, written: 3 });
    expect(result.unreadable).toEqual([{ source: 'broken.jpg', reason: expect.any(String) }]);
  });

  test('a photo blur would not show on (a smooth gradient) is left out and reported; images of it from a run before are removed', async () => {
    const dir = tempDir('blur-synth-featureless');
    fs.copyFileSync(path.join(input, 'Dragonfly_by_Bolly.jpg'), path.join(dir, 'good.jpg'));
    const gradient = Buffer.alloc(1200 * 800 * 3);
    for (let y = 0; y < 800; y++) for (let x = 0; x < 1200; x++) gradient.set([x / 5, y / 4, 128], (y * 1200 + x) * 3);
    await sharp(gradient, { raw: { width: 1200, height: 800, channels: 3 } }).jpeg({ quality: 95 }).toFile(path.join(dir, 'sky.jpg'));
    const out = tempDir('blur-synth-featureless-out');
    // A run before this check existed wrote the gradient's images: they would be mislabelled sharp ones.
    fs.mkdirSync(path.join(out, 'motion_blurred'), { recursive: true });
    fs.writeFileSync(path.join(out, 'motion_blurred', 'sky_synth1_M.jpg'), 'stale');
    const result = await synthesizeDataset({ from: new FileStorage(dir), to: new FileStorage(out), size: 256 });
    expect(result).toMatchObject({ photos: 1, images: 3, written: 3, unreadable: [] });
    expect(result.featureless).toEqual([{ source: 'sky.jpg', visibleShare: 0 }]);
    const dataset = await readBlurDataset(new FileStorage(out), '');
    expect(new Set(dataset.items.map((i) => i.scene))).toEqual(new Set(['good']));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'synth.json'), 'utf8'));
    expect(manifest).toMatchObject({ photos: 1, featureless: [{ source: 'sky.jpg', visibleShare: 0 }] });
  });

  test("a rerun takes each photo's visible-blur share from synth.json by the photo's content, and works it out again when the photo changes", async () => {
    const dir = tempDir('blur-synth-shares');
    fs.copyFileSync(path.join(input, 'Dragonfly_by_Bolly.jpg'), path.join(dir, 'good.jpg'));
    const out = tempDir('blur-synth-shares-out');
    const synth = () => synthesizeDataset({ from: new FileStorage(dir), to: new FileStorage(out), size: 128 });
    const manifestPath = path.join(out, 'synth.json');
    const readManifest = () => JSON.parse(fs.readFileSync(manifestPath, 'utf8'));

    expect(await synth()).toMatchObject({ images: 3, featureless: [] });
    const [entry] = readManifest().visibility;
    const sha256 = createHash('sha256').update(fs.readFileSync(path.join(dir, 'good.jpg'))).digest('hex');
    expect(entry).toEqual({ source: 'good.jpg', sha256, visibleShare: expect.any(Number) });
    expect(entry.visibleShare).toBeGreaterThan(0.02);

    // The recorded share is what a rerun goes by: recorded as 0, the photo is left out.
    const edited = readManifest();
    edited.visibility[0].visibleShare = 0;
    fs.writeFileSync(manifestPath, JSON.stringify(edited));
    expect(await synth()).toMatchObject({ images: 0, featureless: [{ source: 'good.jpg', visibleShare: 0 }] });

    // Other bytes under the same name: the share is measured again.
    await sharp(path.join(input, 'Dragonfly_by_Bolly.jpg')).jpeg({ quality: 80 }).toFile(path.join(dir, 'good.jpg'));
    expect(await synth()).toMatchObject({ images: 3, written: 3, featureless: [] });
    expect(readManifest().visibility[0].visibleShare).toBeCloseTo(entry.visibleShare, 1);
  });

  test('no photos is a NoPhotosError naming the folder; an aborted run writes nothing', async () => {
    const empty = tempDir('blur-synth-empty');
    fs.writeFileSync(path.join(empty, 'readme.txt'), 'no photos here');
    const from = new FileStorage(empty);
    await expect(synthesizeDataset({ from, to: new FileStorage(tempDir('blur-synth-x')) })).rejects.toThrow(NoPhotosError);
    await expect(synthesizeDataset({ from, to: new FileStorage(tempDir('blur-synth-x')) })).rejects.toThrow(empty);

    const out = tempDir('blur-synth-aborted');
    const controller = new AbortController();
    controller.abort();
    await expect(run(out, { signal: controller.signal })).rejects.toThrow();
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
