/** Which ffmpeg and ffprobe run: FFMPEG_PATH / FFPROBE_PATH, else the ones on PATH. Read at each call so tests and workers can point elsewhere. */
export function ffmpegBinary(): string {
  return process.env.FFMPEG_PATH || 'ffmpeg';
}

export function ffprobeBinary(): string {
  return process.env.FFPROBE_PATH || 'ffprobe';
}
