/**
 * Where reduced CVAT frames land under the destination (destination-layout.ts) and
 * the validated options of reduceCvatTask (reduce-task-options.ts).
 */
import { checkLayout, DEFAULT_LAYOUT, frameKeys, LayoutVars, reportKey, safeFrameName } from '../../src/lib/cvat/destination-layout';
import { normalizeReduceCvatTask } from '../../src/lib/cvat/reduce-task-options';
import { parseTaskName } from '../../src/lib/cvat/task-name';
import { checkKey } from '../../src/lib/storage/storage';

const vars: LayoutVars = { task: parseTaskName('L12-M3'), taskId: 77 };

describe('frameKeys with the default layout {lev}/{med}/{name}', () => {
  test('keeps subfolders and JPEG names, renames other formats to .jpg', () => {
    const names = ['IMG_0001.jpg', 'left/IMG_0002.jpg', 'DSC_0412.JPG', 'photo.JPEG', 'scan.png', 'still.tif', 'noext'];
    expect(frameKeys(DEFAULT_LAYOUT, vars, names, 'jpeg')).toEqual([
      'L12/M3/IMG_0001.jpg',
      'L12/M3/left/IMG_0002.jpg',
      'L12/M3/DSC_0412.JPG',
      'L12/M3/photo.JPEG',
      'L12/M3/scan.jpg',
      'L12/M3/still.jpg',
      'L12/M3/noext.jpg',
    ]);
  });

  test("'same' keeps PNG and WebP names; 'webp' gives .webp", () => {
    const names = ['scan.png', 'a.webp', 'IMG.jpg', 'still.tif'];
    expect(frameKeys(DEFAULT_LAYOUT, vars, names, 'same')).toEqual(['L12/M3/scan.png', 'L12/M3/a.webp', 'L12/M3/IMG.jpg', 'L12/M3/still.jpg']);
    expect(frameKeys(DEFAULT_LAYOUT, vars, names, 'webp')).toEqual(['L12/M3/scan.webp', 'L12/M3/a.webp', 'L12/M3/IMG.webp', 'L12/M3/still.webp']);
  });

  test('a.png and a.jpg get distinct keys, the same on every run', () => {
    const keys = frameKeys(DEFAULT_LAYOUT, vars, ['a.png', 'a.jpg', 'b.png'], 'jpeg');
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe('L12/M3/b.jpg');
    expect(frameKeys(DEFAULT_LAYOUT, vars, ['a.png', 'a.jpg', 'b.png'], 'jpeg')).toEqual(keys);
    for (const key of keys) expect(() => checkKey(key)).not.toThrow();
  });

  // Bug: the fallback name of a collision ('a.png' -> 'a.png.jpg') is not checked against
  // the other frames' keys, so a frame named 'a.png.jpg' is overwritten.
  test('keys stay distinct when a fallback name equals another frame name', () => {
    const keys = frameKeys(DEFAULT_LAYOUT, vars, ['a.png', 'a.jpg', 'a.png.jpg'], 'jpeg');
    expect(new Set(keys).size).toBe(3);
  });

  test('unsafe frame names become keys inside the task folder', () => {
    const keys = frameKeys(DEFAULT_LAYOUT, vars, ['../../etc/x.jpg', '/abs/y.jpg', 'win\\dir\\z.jpg'], 'jpeg');
    expect(keys).toEqual(['L12/M3/etc/x.jpg', 'L12/M3/abs/y.jpg', 'L12/M3/win/dir/z.jpg']);
  });
});

describe('safeFrameName', () => {
  test.each([
    ['left/IMG_0002.jpg', 'left/IMG_0002.jpg'],
    ['../evil.jpg', 'evil.jpg'],
    ['a/../../b.jpg', 'a/b.jpg'],
    ['/abs/x.jpg', 'abs/x.jpg'],
    ['dir\\sub\\x.jpg', 'dir/sub/x.jpg'],
    ['./a//b.jpg', 'a/b.jpg'],
    ['..', 'frame'],
    ['', 'frame'],
  ])('%j -> %j', (name, safe) => {
    expect(safeFrameName(name)).toBe(safe);
  });
});

describe('custom layouts', () => {
  test('{frame} is zero-padded to 6 digits; {task} and {taskId} are filled', () => {
    expect(frameKeys('{task}/{taskId}/{frame}.jpg', vars, ['a.jpg', 'b.jpg'], 'jpeg')).toEqual(['L12-M3/77/000000.jpg', 'L12-M3/77/000001.jpg']);
    const many = frameKeys('{lev}/{frame}-{name}', vars, Array.from({ length: 12 }, (_, i) => `f${i}.png`), 'jpeg');
    expect(many[11]).toBe('L12/000011-f11.jpg');
  });

  test.each([
    ['{unknown}/{name}', /layout '\{unknown\}\/\{name\}' has an unknown placeholder/],
    ['{lev}/{med}', /layout '\{lev\}\/\{med\}' must contain \{name\} or \{frame\}/],
    ['../{name}', /layout '\.\.\/\{name\}' must be a relative path/],
    ['/{lev}/{name}', /layout '\/\{lev\}\/\{name\}' must be a relative path/],
    ['{lev}//{name}', /must be a relative path/],
  ])('checkLayout(%j) refuses it and names it', (layout, message) => {
    expect(() => checkLayout(layout)).toThrow(message);
  });

  test('checkLayout accepts the default and the documented placeholders', () => {
    for (const layout of [DEFAULT_LAYOUT, '{task}/{frame}.jpg', '{taskId}/{lev}-{med}/{name}', '{name}']) expect(() => checkLayout(layout)).not.toThrow();
  });
});

describe('reportKey', () => {
  test.each([
    [DEFAULT_LAYOUT, 'L12/M3/_report.json'],
    ['{task}/{frame}.jpg', 'L12-M3/_report.json'],
    ['{taskId}/{lev}/{name}', '77/L12/_report.json'],
    ['{name}', '_report.json'],
  ])('%j -> %j', (layout, key) => {
    expect(reportKey(layout, vars)).toBe(key);
  });

  // Bug: a folder segment that is only {frame} or {name} is emptied, leaving '//' in the
  // key, which storage refuses ("has an empty, '.' or '..' segment"): the report is never written.
  test('a layout with a per-frame folder still gives a valid storage key', () => {
    const layout = '{lev}/{med}/{frame}/{name}';
    expect(() => checkLayout(layout)).not.toThrow();
    const key = reportKey(layout, vars);
    expect(() => checkKey(key)).not.toThrow();
  });
});

describe('normalizeReduceCvatTask', () => {
  const minimal = { taskName: 'L12-M3', destination: 'file:///data/out' };

  test('fills the documented defaults', () => {
    expect(normalizeReduceCvatTask(minimal)).toEqual({
      ...minimal,
      quality: 60,
      format: 'jpeg',
      via: 'frames',
      layout: '{lev}/{med}/{name}',
      mozjpeg: false,
      optimizeCoding: true,
      keepMetadata: false,
      batchSize: 32,
      parallelBatches: 4,
      exportFormat: 'CVAT for images 1.1',
    });
  });

  test('explicit values win over defaults and undefined ones do not erase them', () => {
    const o = normalizeReduceCvatTask({ ...minimal, destination: 's3://bucket/prefix', quality: 80, maxSide: 2048, format: 'same' });
    expect(o).toMatchObject({ destination: 's3://bucket/prefix', quality: 80, maxSide: 2048, format: 'same', via: 'frames' });
    expect(normalizeReduceCvatTask({ ...minimal, quality: undefined }).quality).toBe(60);
  });

  test.each<[Record<string, unknown>, RegExp]>([
    [{ taskName: 'nodash' }, /task name 'nodash'/],
    [{ destination: '/data/out' }, /destination '\/data\/out' must be an s3:\/\/bucket\/prefix or file:\/\/\/abs\/dir URL/],
    [{ quality: 0 }, /quality must be an integer from 1 to 100, got 0/],
    [{ maxSide: 8 }, /maxSide must be an integer from 16 to 65535, got 8/],
    [{ format: 'gif' }, /format must be one of jpeg, webp, same, got 'gif'/],
    [{ layout: '{lev}/{oops}' }, /layout '\{lev\}\/\{oops\}' has an unknown placeholder/],
    [{ via: 'zip' }, /via must be frames or export, got 'zip'/],
    [{ batchSize: 0 }, /batchSize must be an integer from 1 to 1000, got 0/],
    [{ parallelBatches: 65 }, /parallelBatches must be an integer from 1 to 64, got 65/],
  ])('%j is refused with a message naming the field', (bad, message) => {
    expect(() => normalizeReduceCvatTask({ ...minimal, ...bad } as never)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    let message = '';
    try {
      normalizeReduceCvatTask({ taskName: '', destination: 'http://x', quality: 200, batchSize: 0 });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid CVAT reduction options: /);
    for (const part of [/task name ''/, /destination 'http:\/\/x'/, /quality .* got 200/, /batchSize .* got 0/]) expect(message).toMatch(part);
  });
});

describe('parseTaskName', () => {
  test('splits levID-medID at the first dash', () => {
    expect(parseTaskName('L12-M3')).toEqual({ name: 'L12-M3', lev: 'L12', med: 'M3' });
    expect(parseTaskName('L12-M3-b')).toEqual({ name: 'L12-M3-b', lev: 'L12', med: 'M3-b' });
    expect(parseTaskName('lev0042.v2-med_0007')).toMatchObject({ lev: 'lev0042.v2', med: 'med_0007' });
  });

  test.each(['', 'nodash', '-x', 'L12-', '../x-y', 'L12-../x', 'a/b-c'])('%j is refused, naming the input', (name) => {
    expect(() => parseTaskName(name)).toThrow(`task name '${name}' is not levID-medID`);
  });
});
