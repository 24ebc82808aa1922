/**
 * Rekognition Custom Labels as a Detector: frames in S3 are referenced (S3Object),
 * others are sent as bytes (the API takes at most 4 MB). Throttling backs off.
 */
import { DetectCustomLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { Detection, Detector, FrameImage } from './detection';
import { withBackoff } from './rekognition-models';

export const MAX_BYTES = 4 * 1024 * 1024;

export class RekognitionDetector implements Detector {
  constructor(
    private readonly client: RekognitionClient,
    readonly modelArn: string,
  ) {}

  async detect(frame: FrameImage, minConfidence: number, signal?: AbortSignal): Promise<Detection[]> {
    let image;
    if (frame.s3) image = { S3Object: { Bucket: frame.s3.bucket, Name: frame.s3.key } };
    else if (frame.bytes) {
      if (frame.bytes.length > MAX_BYTES) throw new Error(`frame of ${frame.bytes.length} bytes is over Rekognition's 4 MB limit for image bytes; store frames in S3 or lower the quality`);
      image = { Bytes: frame.bytes };
    } else throw new Error('frame has neither S3 location nor bytes');
    const res = await withBackoff(
      () => this.client.send(new DetectCustomLabelsCommand({ ProjectVersionArn: this.modelArn, Image: image, MinConfidence: minConfidence }), { abortSignal: signal }),
      signal,
    );
    return (res.CustomLabels ?? []).map((l) => ({
      Name: l.Name ?? '',
      Confidence: l.Confidence ?? 0,
      Geometry: l.Geometry?.BoundingBox
        ? { BoundingBox: { Width: l.Geometry.BoundingBox.Width ?? 0, Height: l.Geometry.BoundingBox.Height ?? 0, Left: l.Geometry.BoundingBox.Left ?? 0, Top: l.Geometry.BoundingBox.Top ?? 0 } }
        : undefined,
    }));
  }
}
