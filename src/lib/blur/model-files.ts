/**
 * A tfjs layers model as the two files of the standard format (`model.json` with
 * a weights manifest, and `weights.bin`), so models live in any storage and load
 * with `tf.loadLayersModel` elsewhere too.
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { Tensorflow } from './tf-runtime';

export const WEIGHTS_FILE = 'weights.bin';

export interface ModelFiles {
  modelJson: string;
  weights: Buffer;
}

export async function modelToFiles(tf: Tensorflow, model: LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const weights = Buffer.concat((Array.isArray(data) ? data : data ? [data] : []).map((b) => Buffer.from(b)));
      files = {
        modelJson: JSON.stringify({
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        }),
        weights,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('tfjs did not hand over the model artifacts');
  return files;
}

export async function modelFromFiles(tf: Tensorflow, files: ModelFiles): Promise<LayersModel> {
  const json = JSON.parse(files.modelJson) as { modelTopology: object; weightsManifest: { weights: unknown[] }[] };
  const weightSpecs = json.weightsManifest.flatMap((m) => m.weights) as never;
  const weightData = files.weights.buffer.slice(files.weights.byteOffset, files.weights.byteOffset + files.weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}
