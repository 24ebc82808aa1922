/**
 * SageMaker Ground Truth object-detection manifest lines, the format Rekognition Custom
 * Labels datasets are created from, built from YOLO labels (normalised centre/size) and
 * the image size, with boxes in pixels. Pure.
 */
export interface ManifestImage {
  /** s3://bucket/key of the image. */
  sourceRef: string;
  width: number;
  height: number;
  /** YOLO label lines: `class cx cy w h`. */
  yolo: string;
}

export function manifestLine(image: ManifestImage, classes: string[], attribute = 'bounding-box', createdAt = new Date().toISOString()): string {
  const annotations = image.yolo
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, n) => {
      const [cls, cx, cy, w, h] = line.split(/\s+/).map(Number);
      if (![cls, cx, cy, w, h].every(Number.isFinite) || !Number.isInteger(cls) || cls < 0 || cls >= classes.length) {
        throw new Error(`${image.sourceRef}: label line ${n + 1} '${line}' is not 'class cx cy w h' with a class in classes.txt`);
      }
      const width = Math.round(w * image.width);
      const height = Math.round(h * image.height);
      return {
        class_id: cls,
        left: Math.max(0, Math.round((cx - w / 2) * image.width)),
        top: Math.max(0, Math.round((cy - h / 2) * image.height)),
        width,
        height,
      };
    });
  const classMap = Object.fromEntries(classes.map((c, i) => [String(i), c]));
  return JSON.stringify({
    'source-ref': image.sourceRef,
    [attribute]: { image_size: [{ width: image.width, height: image.height, depth: 3 }], annotations },
    [`${attribute}-metadata`]: {
      objects: annotations.map(() => ({ confidence: 1 })),
      'class-map': classMap,
      type: 'groundtruth/object-detection',
      'human-annotated': 'yes',
      'creation-date': createdAt.replace(/Z$/, ''),
      'job-name': 'visionflow',
    },
  });
}
