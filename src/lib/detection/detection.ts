/**
 * The detection shape every backend returns: Rekognition's DetectCustomLabels
 * CustomLabel (name, confidence 0-100, box as fractions of the image). Pure.
 */
export interface BoundingBox {
  Width: number;
  Height: number;
  Left: number;
  Top: number;
}

export interface Detection {
  Name: string;
  Confidence: number;
  Geometry?: { BoundingBox: BoundingBox };
}

/** A frame as a detector sees it: in S3 (referenced) or as bytes. */
export interface FrameImage {
  s3?: { bucket: string; key: string };
  bytes?: Buffer;
}

export interface Detector {
  detect(frame: FrameImage, minConfidence: number, signal?: AbortSignal): Promise<Detection[]>;
}
