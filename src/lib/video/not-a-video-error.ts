/**
 * The input is not a video ffmpeg can sample: an image, a web page, audio only, random
 * bytes, or a missing file. Retrying cannot help, so activities map it to a
 * non-retryable failure; the message names the input and what ffprobe saw.
 */
export class NotAVideoError extends Error {
  constructor(
    readonly input: string,
    readonly detail: string,
  ) {
    super(`not a video: ${input}: ${detail}`);
    this.name = 'NotAVideoError';
  }
}
