/**
 * Reading a blur dataset laid out like the original notebook's `Dataset/` (on a
 * folder and on MinIO), and the scene split that keeps every photo of a scene on one
 * side of train / validation / test.
 */
import { randomBytes } from 'node:crypto';
import { readBlurDataset } from '../../src/lib/blur/blur-dataset';
import { SceneSplit, splitOf, splitScenes } from '../../src/lib/blur/scene-split';
import { seededRandom } from '../../src/lib/blur/seeded-random';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { createStorageOpener } from '../../src/lib/storage/open-storage';
import { Storage } from '../../src/lib/storage/storage';
import { tempDir } from '../support/harness';

/** Writes `key -> size` (bytes of filler; the reader never decodes them). */
async function writeLayout(storage: Storage, prefix: string, files: Record<string, number>): Promise<void> {
  for (const [key, size] of Object.entries(files)) await storage.put(`${prefix}${key}`, Buffer.alloc(size, 7));
}

/** A dataset using both folder spellings, with every kind of file the reader sorts out. */
const LAYOUT: Record<string, number> = {
  'sharp/12_iphone7_S.jpg': 101,
  'sharp/13_pixel_S.JPG': 102,
  'sharp/14_phone_s.png': 103, // lower-case type letter
  'Sharp/15_phone_S.jpg': 104, // folder name case does not matter
  'defocused_blurred/12_iphone7_F.jpg': 111,
  'defocused-blurred/13_pixel_F.jpeg': 112, // the hyphen spelling of the same class
  'motion_blurred/12_iphone7_M.webp': 121,
  'motion-blurred/14_phone_M.tiff': 122,
  'motion-blurred/15_my_old_phone_M.avif': 123, // device with underscores
  // type letter disagrees with the folder: left out and reported
  'sharp/16_phone_M.jpg': 131,
  'motion_blurred/17_phone_S.jpg': 132,
  'defocused_blurred/18_phone_X.jpg': 133, // a letter that means no class
  // names that do not follow id_device_type: kept, each its own scene
  'sharp/IMG_0001.jpg': 141,
  'motion_blurred/holiday.png': 142,
  'defocused_blurred/19_F.jpg': 143, // only two parts
  // nested subfolders inside a class folder: still that class
  'sharp/batch2/deep/20_phone_S.jpg': 151,
  'defocused-blurred/batch2/20_phone_F.jpg': 152,
  // ignored: not images, hidden files, files at the top, stray folders
  'sharp/notes.txt': 1,
  'sharp/.DS_Store': 2,
  'sharp/._12_iphone7_S.jpg': 3,
  'sharp/21_phone_S.jpg.part': 4,
  'README.md': 5,
  '30_phone_S.jpg': 6,
  'extra/31_phone_S.jpg': 7,
  'blurred/32_phone_F.jpg': 8,
  'other/sharp/33_phone_S.jpg': 9,
};

function datasetSuite(name: string, open: () => Promise<Storage>): void {
  describe(`readBlurDataset on ${name}`, () => {
    let storage: Storage;
    beforeAll(async () => {
      storage = await open();
      await writeLayout(storage, 'ds/', LAYOUT);
      // A sibling dataset whose name starts like the prefix, and a file next to the prefix.
      await writeLayout(storage, 'ds2/', { 'sharp/40_phone_S.jpg': 10, 'motion_blurred/41_phone_M.jpg': 11 });
      await writeLayout(storage, '', { 'ds.txt': 3 });
    });

    test('classes from both folder spellings, scene and device from the name, keys relative to the prefix', async () => {
      const listing = await readBlurDataset(storage, 'ds/');
      const items = [...listing.items].sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(items).toEqual([
        { key: 'Sharp/15_phone_S.jpg', class: 'sharp', scene: '15', device: 'phone', size: 104 },
        { key: 'defocused-blurred/13_pixel_F.jpeg', class: 'defocused', scene: '13', device: 'pixel', size: 112 },
        { key: 'defocused-blurred/batch2/20_phone_F.jpg', class: 'defocused', scene: '20', device: 'phone', size: 152 },
        { key: 'defocused_blurred/12_iphone7_F.jpg', class: 'defocused', scene: '12', device: 'iphone7', size: 111 },
        { key: 'defocused_blurred/19_F.jpg', class: 'defocused', scene: '19_F', device: '', size: 143 },
        { key: 'motion-blurred/14_phone_M.tiff', class: 'motion', scene: '14', device: 'phone', size: 122 },
        { key: 'motion-blurred/15_my_old_phone_M.avif', class: 'motion', scene: '15', device: 'my_old_phone', size: 123 },
        { key: 'motion_blurred/12_iphone7_M.webp', class: 'motion', scene: '12', device: 'iphone7', size: 121 },
        { key: 'motion_blurred/holiday.png', class: 'motion', scene: 'holiday', device: '', size: 142 },
        { key: 'sharp/12_iphone7_S.jpg', class: 'sharp', scene: '12', device: 'iphone7', size: 101 },
        { key: 'sharp/13_pixel_S.JPG', class: 'sharp', scene: '13', device: 'pixel', size: 102 },
        { key: 'sharp/14_phone_s.png', class: 'sharp', scene: '14', device: 'phone', size: 103 },
        { key: 'sharp/IMG_0001.jpg', class: 'sharp', scene: 'IMG_0001', device: '', size: 141 },
        { key: 'sharp/batch2/deep/20_phone_S.jpg', class: 'sharp', scene: '20', device: 'phone', size: 151 },
      ]);
      const perClass = (c: string) => listing.items.filter((i) => i.class === c).length;
      expect([perClass('sharp'), perClass('defocused'), perClass('motion')]).toEqual([6, 4, 4]);
    });

    test('a type letter that disagrees with its folder is reported with both, and left out', async () => {
      const listing = await readBlurDataset(storage, 'ds/');
      const mismatched = listing.mismatches.map((m) => m.key).sort();
      expect(mismatched).toEqual(['defocused_blurred/18_phone_X.jpg', 'motion_blurred/17_phone_S.jpg', 'sharp/16_phone_M.jpg']);
      for (const key of mismatched) expect(listing.items.map((i) => i.key)).not.toContain(key);
      const byKey = new Map(listing.mismatches.map((m) => [m.key, m.problem]));
      expect(byKey.get('sharp/16_phone_M.jpg')).toMatch(/'M'.*motion.*sharp/);
      expect(byKey.get('motion_blurred/17_phone_S.jpg')).toMatch(/'S'.*sharp.*motion_blurred/);
      expect(byKey.get('defocused_blurred/18_phone_X.jpg')).toMatch(/'X'.*no class/);
    });

    test('unnamed images are kept and reported, each as its own scene', async () => {
      const listing = await readBlurDataset(storage, 'ds/');
      expect(listing.unnamed.map((u) => u.key).sort()).toEqual(['defocused_blurred/19_F.jpg', 'motion_blurred/holiday.png', 'sharp/IMG_0001.jpg']);
      for (const u of listing.unnamed) expect(u.problem).toMatch(/id_device_type/);
      const scenes = listing.unnamed.map((u) => listing.items.find((i) => i.key === u.key)!.scene);
      expect(new Set(scenes).size).toBe(3);
      // None of them joins a scene of a properly named file.
      const named = new Set(listing.items.filter((i) => i.device !== '').map((i) => i.scene));
      for (const s of scenes) expect(named.has(s)).toBe(false);
    });

    test('non-images, hidden files, top-level files and stray folders are ignored, not read as data', async () => {
      const listing = await readBlurDataset(storage, 'ds/');
      expect([...listing.ignored].sort()).toEqual(
        [
          'sharp/notes.txt',
          'sharp/.DS_Store',
          'sharp/._12_iphone7_S.jpg',
          'sharp/21_phone_S.jpg.part',
          'README.md',
          '30_phone_S.jpg',
          'extra/31_phone_S.jpg',
          'blurred/32_phone_F.jpg',
          'other/sharp/33_phone_S.jpg',
        ].sort(),
      );
      // Every file under the prefix is accounted for exactly once.
      const accounted = [...listing.items.map((i) => i.key), ...listing.mismatches.map((m) => m.key), ...listing.ignored];
      expect(accounted.sort()).toEqual(Object.keys(LAYOUT).sort());
    });

    test('the prefix scopes the listing: a sibling folder with a longer name is not read', async () => {
      const ds2 = await readBlurDataset(storage, 'ds2/');
      expect(ds2.items.map((i) => [i.key, i.class, i.scene])).toEqual([
        ['motion_blurred/41_phone_M.jpg', 'motion', '41'],
        ['sharp/40_phone_S.jpg', 'sharp', '40'],
      ]);
      expect(ds2.ignored).toEqual([]);
      const ds = await readBlurDataset(storage, 'ds/');
      expect(ds.items.some((i) => i.scene === '40' || i.scene === '41')).toBe(false);
    });

    test('the root of a storage is a dataset too (prefix ""): class folders one level down are not classes', async () => {
      const root = await readBlurDataset(storage, '');
      // Everything sits under ds/, ds2/ or at the top: nothing is a class folder at the root.
      expect(root.items).toEqual([]);
      expect(root.ignored.length).toBe(Object.keys(LAYOUT).length + 3);
    });

    test('a prefix without its trailing slash reads the same folder (or is refused by name)', async () => {
      let listing;
      try {
        listing = await readBlurDataset(storage, 'ds');
      } catch (err) {
        expect((err as Error).message).toMatch(/'ds'/);
        return;
      }
      const withSlash = await readBlurDataset(storage, 'ds/');
      expect(listing.items).toEqual(withSlash.items);
      expect(listing.mismatches).toEqual(withSlash.mismatches);
    });
  });
}

datasetSuite('a folder', async () => new FileStorage(tempDir('blur-dataset')));

const s3Endpoint = process.env.VF_TEST_S3_ENDPOINT;
if (!s3Endpoint) {
  console.warn('\n*** blur-dataset.test.ts: VF_TEST_S3_ENDPOINT is unset, the S3 dataset tests are SKIPPED ***\n');
  test.skip('readBlurDataset on S3 (no MinIO)', () => undefined);
} else {
  datasetSuite('S3', async () => {
    process.env.AWS_ACCESS_KEY_ID = process.env.VF_TEST_S3_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = process.env.VF_TEST_S3_SECRET_KEY;
    const open = createStorageOpener({ endpoint: s3Endpoint, forcePathStyle: true, region: 'us-east-1' });
    return open(`s3://${process.env.VF_TEST_S3_BUCKET}/unit-blur-dataset-${randomBytes(4).toString('hex')}/`);
  });
}

// ---- scene split ----

/** A random set of scene ids (some repeated, as several photos share a scene). */
function randomScenes(seed: number): string[] {
  const rng = seededRandom(`scenes:${seed}`);
  const n = 1 + rng.int(120);
  const ids = Array.from({ length: n }, (_, i) => (rng.next() < 0.5 ? String(i + rng.int(3)) : `scene-${rng.int(10_000)}`));
  // Photos per scene: repeat some ids, then shuffle.
  const photos = ids.flatMap((id) => Array.from({ length: 1 + rng.int(3) }, () => id));
  for (let i = photos.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [photos[i], photos[j]] = [photos[j], photos[i]];
  }
  return photos;
}

function expectPartition(split: SceneSplit, scenes: string[]): void {
  const unique = new Set(scenes);
  const { train, validation, test } = split.scenes;
  const all = [...train, ...validation, ...test];
  // No scene on two sides, none lost, none invented.
  expect(all.length).toBe(unique.size);
  expect(new Set(all)).toEqual(unique);
  for (const side of [train, validation, test]) expect(side).toEqual([...side].sort());
}

describe('splitScenes', () => {
  test('no scene on two sides, over many random scene sets, shares and seeds', () => {
    for (let i = 0; i < 300; i++) {
      const scenes = randomScenes(i);
      const rng = seededRandom(`shares:${i}`);
      const validation = Math.round(rng.uniform(0, 0.45) * 100) / 100;
      const test = Math.round(rng.uniform(0, 0.45) * 100) / 100;
      const seed = rng.int(1_000_000) - 500_000;
      const split = splitScenes(scenes, { validation, test }, seed);
      expectPartition(split, scenes);
      expect(split).toMatchObject({ seed, validation, test });
      // Every photo's scene maps to exactly one side.
      const sideOf = splitOf(split);
      expect(sideOf.size).toBe(new Set(scenes).size);
      expect(split.scenes.train.length).toBeGreaterThanOrEqual(1);
    }
  });

  test('same seed: same split whatever the order and repetition of the input', () => {
    for (let i = 0; i < 50; i++) {
      const scenes = randomScenes(1000 + i);
      const shares = { validation: 0.15, test: 0.2 };
      const reference = splitScenes(scenes, shares, 7);
      const shuffled = [...scenes];
      const rng = seededRandom(i);
      for (let k = shuffled.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [shuffled[k], shuffled[j]] = [shuffled[j], shuffled[k]];
      }
      expect(splitScenes(shuffled, shares, 7)).toEqual(reference);
      expect(splitScenes([...new Set(scenes)].reverse(), shares, 7)).toEqual(reference);
      expect(splitScenes(new Set(scenes), shares, 7)).toEqual(reference);
    }
  });

  test('a split depends only on each scene and the seed: adding scenes does not move the others between test and the rest', () => {
    // Ranking by a per-scene hash: with a fixed test count the ranking of old scenes is kept.
    const base = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const split = splitScenes(base, { validation: 0, test: 0.25 }, 3);
    const more = splitScenes([...base, 'zz-new'], { validation: 0, test: 0.25 }, 3);
    // 10 test scenes either way (40 * 0.25 = 10, 41 * 0.25 = 10.25): the same ones unless the new scene ranks among them.
    expect(split.scenes.test.length).toBe(10);
    expect(more.scenes.test.length).toBe(10);
    const moved = split.scenes.test.filter((s) => !more.scenes.test.includes(s));
    expect(moved.length).toBeLessThanOrEqual(1);
    if (moved.length === 1) expect(more.scenes.test).toContain('zz-new');
  });

  test('different seeds give different splits', () => {
    const cases: [string, string[]][] = [
      ['100 numbered scenes', Array.from({ length: 100 }, (_, i) => String(i + 1))],
      ['20 numbered scenes', Array.from({ length: 20 }, (_, i) => String(i + 1))],
      ['100 named scenes', Array.from({ length: 100 }, (_, i) => `scene-${String(i).padStart(4, '0')}`)],
    ];
    const distinct: Record<string, number> = {};
    for (const [name, scenes] of cases) {
      const splits = new Set<string>();
      for (let seed = 1; seed <= 400; seed++) {
        const { validation, test } = splitScenes(scenes, { validation: 0.15, test: 0.2 }, seed).scenes;
        splits.add(`${test.join(',')}|${validation.join(',')}`);
      }
      distinct[name] = splits.size;
    }
    // 20 scenes already allow C(20,4) * C(16,3) = 2.7 million splits: 400 seeds should not repeat one.
    expect(distinct).toEqual({ '100 numbered scenes': 400, '20 numbered scenes': 400, '100 named scenes': 400 });
  });

  test('seeds move scenes around: neighbouring seeds share few test scenes, and every scene takes its turn in test', () => {
    const scenes = Array.from({ length: 100 }, (_, i) => String(i + 1));
    const shares = { validation: 0.15, test: 0.2 };
    const tests = Array.from({ length: 400 }, (_, seed) => splitScenes(scenes, shares, seed + 1).scenes.test);
    expect(tests[0]).not.toEqual(tests[1]);
    // Two seeds share about 20 % of the test scenes (4 of 20), not most of them.
    let overlap = 0;
    for (let s = 0; s < 399; s++) overlap += tests[s].filter((x) => tests[s + 1].includes(x)).length;
    expect(overlap / 399).toBeGreaterThan(2);
    expect(overlap / 399).toBeLessThan(7);
    // Over many seeds each scene is in test roughly 20 % of the time: no scene is stuck on one side.
    const count = new Map(scenes.map((s) => [s, 0]));
    for (const t of tests) for (const s of t) count.set(s, count.get(s)! + 1);
    for (const [, c] of count) {
      expect(c / 400).toBeGreaterThan(0.08);
      expect(c / 400).toBeLessThan(0.35);
    }
  });

  test('shares are respected within rounding', () => {
    for (const n of [3, 7, 10, 20, 33, 100, 257]) {
      for (const [validation, test] of [
        [0.15, 0.2],
        [0, 0.3],
        [0.3, 0],
        [0.1, 0.1],
        [0.25, 0.25],
        [0.4, 0.45],
      ]) {
        const scenes = Array.from({ length: n }, (_, i) => `scene${i}`);
        const split = splitScenes(scenes, { validation, test }, n);
        const nVal = split.scenes.validation.length;
        const nTest = split.scenes.test.length;
        if (Math.round(n * validation) + Math.round(n * test) < n) {
          expect(nVal).toBe(Math.round(n * validation));
          expect(nTest).toBe(Math.round(n * test));
        } else {
          // Shrunk only as far as needed to keep one training scene.
          expect(split.scenes.train.length).toBe(1);
          expect(Math.abs(nVal - n * validation)).toBeLessThanOrEqual(1.5);
          expect(Math.abs(nTest - n * test)).toBeLessThanOrEqual(1.5);
        }
        expect(split.scenes.train.length).toBe(n - nVal - nTest);
      }
    }
    const twenty = splitScenes(
      Array.from({ length: 20 }, (_, i) => `s${i}`),
      { validation: 0.15, test: 0.2 },
      1,
    );
    expect([twenty.scenes.train.length, twenty.scenes.validation.length, twenty.scenes.test.length]).toEqual([13, 3, 4]);
  });

  test('tiny sets keep at least one training scene', () => {
    expect(splitScenes([], { validation: 0.15, test: 0.2 }, 1).scenes).toEqual({ train: [], validation: [], test: [] });
    expect(splitScenes(['a', 'a', 'a'], { validation: 0.45, test: 0.45 }, 1).scenes).toEqual({ train: ['a'], validation: [], test: [] });
    for (let seed = 0; seed < 20; seed++) {
      const two = splitScenes(['a', 'b'], { validation: 0.45, test: 0.45 }, seed);
      expect(two.scenes.train.length).toBe(1);
      expect(two.scenes.validation.length + two.scenes.test.length).toBe(1);
      const three = splitScenes(['a', 'b', 'c'], { validation: 0.45, test: 0.45 }, seed);
      expect(three.scenes.train.length).toBe(1);
      expect(three.scenes.validation.length).toBe(1);
      expect(three.scenes.test.length).toBe(1);
    }
  });
});
