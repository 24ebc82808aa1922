/**
 * An ffconcat script that makes ffmpeg's concat demuxer read only the planned spans of
 * one file, as one stream into one decoder: each entry seeks to a keyframe (`inpoint`)
 * and ends just after the last wanted frame (`outpoint`, compared with decoding
 * timestamps, which never exceed presentation ones). `duration` is the distance to the
 * next entry's keyframe, so the concatenated timeline is the video's own, shifted by
 * the first keyframe: video time = ffmpeg's t + spans[0].fromS.
 */
import path from 'node:path';
import { SEEK_TOLERANCE_S } from './grid-select';
import { DecodeSpan } from './decode-plan';

export function concatList(file: string, spans: readonly DecodeSpan[], startTimeS: number): string {
  const quoted = `'${path.resolve(file).replace(/'/g, "'\\''")}'`;
  const lines = ['ffconcat version 1.0'];
  spans.forEach((span, i) => {
    const next = spans[i + 1];
    lines.push(
      `file ${quoted}`,
      `inpoint ${decimal(span.fromS + startTimeS)}`,
      `outpoint ${decimal(span.toS + SEEK_TOLERANCE_S + startTimeS)}`,
      `duration ${decimal((next ? next.fromS : span.toS + SEEK_TOLERANCE_S) - span.fromS)}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

function decimal(value: number): string {
  return value.toFixed(6);
}
