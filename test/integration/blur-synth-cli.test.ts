/**
 * `visionflow blur synth` as a user runs it (bin/visionflow.js from dist/, so build
 * first): real photos in, the blur dataset layout out, exit codes for bad input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli, s3Available, tempDir } from '../support/harness';
import { testPhotos } from '../support/photos';
import { readStored } from '../support/stored-objects';

describe('visionflow blur synth', () => {
  let input: string;
  let env: Record<string, string>;
  beforeAll(() => {
    input = tempDir('blur-cli-in');
    for (const photo of testPhotos(2)) fs.copyFileSync(photo, path.join(input, path.basename(photo)));
    env = { VISIONFLOW_HOME: tempDir('blur-cli-home') };
  });

  const expectedKeys = ['bridge-by-sander-klootwijk', 'dragonfly-by-bolly'].flatMap((scene) =>
    ['synth1', 'synth2'].flatMap((d) => [`sharp/${scene}_${d}_S.jpg`, `defocused_blurred/${scene}_${d}_F.jpg`, `motion_blurred/${scene}_${d}_M.jpg`]),
  );

  test('two photos -> sharp/, defocused_blurred/, motion_blurred/ and synth.json; a rerun skips everything', async () => {
    const out = path.join(tempDir('blur-cli-out'), 'dataset');
    const run = await runCli(['blur', 'synth', '--from', input, '--to', out, '--variants', '2', '--size', '384', '--seed', '7', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ photos: 2, variants: 2, images: 12, written: 12, skipped: 0, unreadable: [], to: pathToFileURL(out).href });

    const files = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jpg') && !f.includes('.visionflow-meta'));
    expect(files.sort()).toEqual([...expectedKeys].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'synth.json'), 'utf8'));
    expect(manifest).toMatchObject({ seed: 7, size: 384, variants: 2, photos: 2 });
    expect(manifest.images.map((r: { key: string }) => r.key).sort()).toEqual([...expectedKeys].sort());
    const motion = manifest.images.find((r: { class: string }) => r.class === 'motion');
    expect(motion).toMatchObject({ source: 'Bridge_by_Sander_Klootwijk.jpg', device: 'synth1', blur: { kind: 'shake' } });
    expect(motion.blur.anisotropy).toBeGreaterThan(1);
    expect(Math.max(motion.width, motion.height)).toBe(384);

    const again = await runCli(['blur', 'synth', '--from', input, '--to', out, '--variants', '2', '--size', '384', '--seed', '7'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/2 photos x 2 variant\(s\): 0 images written, 12 already there/);
  });

  test('bad input exits 2 with a message that names the folder', async () => {
    const missing = path.join(tempDir('blur-cli-missing'), 'no-such-folder');
    const noFolder = await runCli(['blur', 'synth', '--from', missing, '--to', tempDir('blur-cli-x')], env);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain(`no folder at ${missing}`);

    const empty = tempDir('blur-cli-empty');
    const noPhotos = await runCli(['blur', 'synth', '--from', empty, '--to', tempDir('blur-cli-x')], env);
    expect(noPhotos.code).toBe(2);
    expect(noPhotos.stderr).toContain('no photos');
    expect(noPhotos.stderr).toContain(pathToFileURL(empty).href);

    const noTo = await runCli(['blur', 'synth', '--from', input], env);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('--to');

    const badSize = await runCli(['blur', 'synth', '--from', input, '--to', tempDir('blur-cli-x'), '--size', 'big'], env);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain('--size');
  });

  (s3Available() ? test : test.skip)('writes to S3 (MinIO) and skips on a rerun there too', async () => {
    const s3Env = {
      ...env,
      S3_ENDPOINT: process.env.VF_TEST_S3_ENDPOINT!,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: process.env.VF_TEST_S3_ACCESS_KEY!,
      AWS_SECRET_ACCESS_KEY: process.env.VF_TEST_S3_SECRET_KEY!,
      AWS_REGION: 'us-east-1',
    };
    const to = `s3://${process.env.VF_TEST_S3_BUCKET}/blur-synth-cli`;
    const args = ['blur', 'synth', '--from', input, '--to', to, '--size', '256', '--json'];
    const first = await runCli(args, s3Env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ written: 6, skipped: 0 });
    const stored = await readStored(to, 'sharp');
    expect([...stored.keys()].sort()).toEqual(['sharp/bridge-by-sander-klootwijk_synth1_S.jpg', 'sharp/dragonfly-by-bolly_synth1_S.jpg']);
    const again = await runCli(args, s3Env);
    expect(JSON.parse(again.stdout)).toMatchObject({ written: 0, skipped: 6 });
  });
});
