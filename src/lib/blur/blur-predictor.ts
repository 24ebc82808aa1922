/**
 * A loaded blur model: image bytes in, calibrated scores out. Loading is cached per
 * registry and version, since workers score many images with one model.
 */
import type { LayersModel, Tensor2D } from '@tensorflow/tfjs';
import { analysisImage } from './analysis-image';
import { blurFeatures, FEATURE_NAMES } from './blur-features';
import { BlurModelMetadata, BlurModelRegistry } from './blur-registry';
import { BlurScores, DEFAULT_BLUR_THRESHOLD, scoresFromLogits } from './blur-scores';
import { normalize } from './feature-normalizer';
import { modelFromFiles } from './model-files';
import { loadTensorflow, Tensorflow } from './tf-runtime';

export class BlurPredictor {
  private constructor(
    private readonly tf: Tensorflow,
    private readonly model: LayersModel,
    readonly metadata: BlurModelMetadata,
  ) {}

  static async load(registry: BlurModelRegistry, version: string): Promise<BlurPredictor> {
    const { files, metadata } = await registry.load(version);
    if (metadata.featureNames.join() !== FEATURE_NAMES.join()) {
      throw new Error(`blur model ${version} was trained on other features than this visionflow computes; train it again`);
    }
    const { tf } = await loadTensorflow();
    return new BlurPredictor(tf, await modelFromFiles(tf, files), metadata);
  }

  async predictImage(image: Buffer | string, threshold = DEFAULT_BLUR_THRESHOLD): Promise<BlurScores> {
    return this.predictFeatures([Array.from(blurFeatures(await analysisImage(image)))], threshold)[0];
  }

  predictFeatures(rows: number[][], threshold = DEFAULT_BLUR_THRESHOLD): BlurScores[] {
    const logits = this.tf.tidy(() => (this.model.predict(this.tf.tensor2d(normalize(rows, this.metadata.normalizer))) as Tensor2D).arraySync());
    return logits.map((l) => scoresFromLogits(l, this.metadata.temperature, threshold));
  }
}

const cache = new Map<string, Promise<BlurPredictor>>();

/** One loaded model per (registry, version) per process; a failed load is not cached. */
export function cachedPredictor(registry: BlurModelRegistry, version: string): Promise<BlurPredictor> {
  const key = `${registry.storage.url}#${version}`;
  let found = cache.get(key);
  if (!found) {
    found = BlurPredictor.load(registry, version);
    cache.set(key, found);
    found.catch(() => cache.delete(key));
    if (cache.size > 4) cache.delete(cache.keys().next().value!);
  }
  return found;
}
