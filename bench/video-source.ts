/**
 * The `video` part's input: 10 minutes of 1920x1080 H.264 at 25 fps with a keyframe
 * every 2 s, generated once with ffmpeg lavfi into the bench cache. testsrc2 (moving
 * pattern, counters) plus light temporal noise, so the encoder cannot skip whole
 * blocks: about 5 Mbit/s at CRF 23, like a 1080p camera stream. Encoding takes about
 * 8 minutes on 2 busy cores (veryfast preset); later runs reuse the file. Bump
 * VIDEO_VERSION when the recipe changes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export const VIDEO_VERSION = 1;
export const VIDEO_SECONDS = 600;
export const VIDEO_FPS = 25;
export const KEYFRAME_INTERVAL_S = 2;
const NAME = `testsrc2-noise4-1080p${VIDEO_FPS}-${VIDEO_SECONDS}s-g${VIDEO_FPS * KEYFRAME_INTERVAL_S}.mp4`;

/** The ffmpeg arguments that make the video (output file last). */
export function videoRecipe(output: string): string[] {
  const gop = String(VIDEO_FPS * KEYFRAME_INTERVAL_S);
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=${VIDEO_FPS},noise=alls=4:allf=t+u:all_seed=42`,
    '-t', String(VIDEO_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-maxrate', '8M', '-bufsize', '16M',
    // a keyframe exactly every 2 s: no scene-cut keyframes in between
    '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', output,
  ];
}

/** Path of the cached video, generating it first when missing. */
export async function prepareBenchVideo(cacheDir: string, log: (msg: string) => void): Promise<{ file: string; generated: boolean }> {
  const dir = path.join(cacheDir, `video-v${VIDEO_VERSION}`);
  const file = path.join(dir, NAME);
  if (existsSync(file)) return { file, generated: false };
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  log(`video: generating ${VIDEO_SECONDS} s of 1080p H.264 into ${file} (once; several minutes)`);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.env.FFMPEG_PATH || 'ffmpeg', videoRecipe(temp), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`))));
    });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { file, generated: true };
}
