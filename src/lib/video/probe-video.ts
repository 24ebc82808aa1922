/**
 * What a video is before sampling it: duration, frame rate, size as frames come out
 * (after rotation), rotation, codec, and how far apart its keyframes are (what a
 * keyframe-mode run or a segment seek costs). Anything ffprobe cannot read as a moving
 * picture (an image, a web page, audio only, random bytes) is a NotAVideoError.
 */
import { keyframeTimes } from './packet-times';
import { NotAVideoError } from './not-a-video-error';
import { FfprobeError, runFfprobe } from './run-ffprobe';

export interface VideoInfo {
  input: string;
  /** Seconds of the video stream (the container's when the stream has none). */
  durationS: number;
  /** Average frames per second. */
  fps: number;
  /** Size of the extracted frames: the coded size turned by `rotation`. */
  width: number;
  height: number;
  /** Clockwise degrees (0, 90, 180, 270) a player turns the picture, from the display matrix or the `rotate` tag; extraction applies it. */
  rotation: number;
  /** ffmpeg's codec name: h264, hevc, vp9, ... */
  codec: string;
  /** ffmpeg's demuxer names: 'mov,mp4,m4a,3gp,3g2,mj2', 'matroska,webm', ... */
  formatName: string;
  /** Median spacing of the keyframes in the first seconds; undefined with fewer than two keyframes there. */
  keyframeIntervalS?: number;
  /** Container start time in seconds; frame times count from it (as ffmpeg does). */
  startTimeS: number;
}

/** What extraction needs to know of a video: probeVideo's result, or these fields of it (start time and demuxer are then read with ffprobe). */
export type VideoToSample = Pick<VideoInfo, 'input' | 'durationS' | 'fps'> & Partial<Pick<VideoInfo, 'startTimeS' | 'formatName'>>;

/** Seconds of packets read to measure the keyframe interval: enough for several GOPs of a typical camera, little to download from a URL. */
const KEYFRAME_SAMPLE_S = 12;
/** Demuxers that mean a still image (or text) rather than a video. */
const STILL_FORMATS = /^(image2|tty|.*_pipe)$/;
/** ffprobe complaints about the network or server rather than the content: worth a retry. */
const TRANSIENT = /Server returned 5|Connection refused|Connection reset|timed out|Network is unreachable|Temporary failure in name resolution|End of file/i;

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number | string }[];
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

export async function probeVideo(input: string, signal?: AbortSignal): Promise<VideoInfo> {
  let probed: ProbeOutput;
  try {
    probed = await runFfprobe<ProbeOutput>(['-show_format', '-show_streams', input], signal);
  } catch (err) {
    if (err instanceof FfprobeError && err.stderr !== '' && !TRANSIENT.test(err.stderr)) {
      throw new NotAVideoError(input, `ffprobe cannot read it: ${err.stderr}`);
    }
    throw err;
  }
  const formatName = probed.format?.format_name ?? 'unknown';
  const streams = probed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw new NotAVideoError(input, `no video stream; ffprobe sees ${describeStreams(streams)} (format ${formatName})`);
  if (STILL_FORMATS.test(formatName)) throw new NotAVideoError(input, `a still image or text, not a video (format ${formatName}, codec ${video.codec_name ?? 'unknown'})`);

  const durationS = positive(video.duration) ?? positive(probed.format?.duration);
  if (durationS === undefined) throw new NotAVideoError(input, `no duration (format ${formatName}, codec ${video.codec_name ?? 'unknown'})`);
  const fps = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  if (fps === undefined) throw new NotAVideoError(input, `no frame rate (format ${formatName}, codec ${video.codec_name ?? 'unknown'})`);
  if (!video.width || !video.height) throw new NotAVideoError(input, `no picture size (format ${formatName}, codec ${video.codec_name ?? 'unknown'})`);

  const rotation = rotationOf(video);
  const turned = rotation === 90 || rotation === 270;
  const startTimeS = Number(probed.format?.start_time ?? 0) || 0;
  const keyframes = await keyframeTimes(input, { endS: Math.min(durationS, KEYFRAME_SAMPLE_S), startTimeS }, signal);
  return {
    input,
    durationS,
    fps,
    width: turned ? video.height : video.width,
    height: turned ? video.width : video.height,
    rotation,
    codec: video.codec_name ?? 'unknown',
    formatName,
    keyframeIntervalS: medianGap(keyframes),
    startTimeS,
  };
}

/**
 * Clockwise degrees. ffprobe prints the display matrix's rotation counter-clockwise
 * (av_display_rotation_get), the old `rotate` tag is clockwise; ffmpeg's autorotation
 * follows the matrix when both exist.
 */
function rotationOf(stream: ProbeStream): number {
  const matrix = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const clockwise = matrix !== undefined ? -Number(matrix) : Number(stream.tags?.rotate ?? 0);
  if (!Number.isFinite(clockwise)) return 0;
  return (((Math.round(clockwise / 90) * 90) % 360) + 360) % 360;
}

function describeStreams(streams: readonly ProbeStream[]): string {
  if (streams.length === 0) return 'no streams';
  const counts = new Map<string, number>();
  for (const s of streams) {
    const kind = s.codec_type === 'video' && s.disposition?.attached_pic === 1 ? 'cover image' : (s.codec_type ?? 'unknown');
    const key = `${kind} (${s.codec_name ?? 'unknown codec'})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n} ${key} stream${n > 1 ? 's' : ''}`).join(', ');
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** '30000/1001' -> 29.97; undefined for '0/0'. */
function rate(value: string | undefined): number | undefined {
  const [num, den] = (value ?? '').split('/').map(Number);
  return num > 0 && den > 0 ? num / den : undefined;
}

function medianGap(times: readonly number[]): number | undefined {
  if (times.length < 2) return undefined;
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
  return Math.round(median * 1000) / 1000;
}
