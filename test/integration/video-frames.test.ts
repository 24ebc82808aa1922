/** `visionflow video frames`: exact times and keyframe mode, into a local folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir, testEnv, useWorkerAndClient } from '../support/harness';
import { frameTimeOf, logoInPixels, logoOnAt, makeLogoVideo } from '../support/logo-video';

describe('video frames', () => {
  useWorkerAndClient('video-frames');

  test('every 1 s at exact times; --keyframes gives one keyframe per 2 s GOP with its true time; a non-video exits non-zero', async () => {
    const video = await makeLogoVideo(tempDir('frames-video')); // 12 s, 10 fps, a keyframe every 2 s
    const env = testEnv('video-frames');
    const exact = tempDir('frames-exact');
    const run = await runCli(['video', 'frames', video, '--to', exact, '--every', '1s', '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ frames: 12, video: { name: 'promo-clip', fps: 10, width: 640, height: 360 } });
    const names = fs.readdirSync(path.join(exact, 'promo-clip')).filter((n) => n.endsWith('.jpg')).sort();
    expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(6, '0')}.000.jpg`));
    for (const name of names) expect(await logoInPixels(fs.readFileSync(path.join(exact, 'promo-clip', name)))).toBe(logoOnAt(frameTimeOf(name)));

    const keyframes = tempDir('frames-key');
    const fast = await runCli(['video', 'frames', video, '--to', keyframes, '--keyframes', '--every', '1s', '--json'], env);
    expect(fast.code).toBe(0);
    const keyNames = fs.readdirSync(path.join(keyframes, 'promo-clip')).filter((n) => n.endsWith('.jpg')).sort();
    expect(keyNames).toEqual(['t000000.000.jpg', 't000002.000.jpg', 't000004.000.jpg', 't000006.000.jpg', 't000008.000.jpg', 't000010.000.jpg']);

    const html = path.join(tempDir('frames-bad'), 'clip.mp4');
    fs.writeFileSync(html, '<html>not found</html>');
    const bad = await runCli(['video', 'frames', html, '--to', tempDir('frames-bad-out')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a video/i);
  });
});
