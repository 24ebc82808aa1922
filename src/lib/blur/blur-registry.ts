/**
 * The blur model registry in storage: `<version>/model.json`, `<version>/weights.bin`
 * and `<version>/metadata.json`, plus `_default.json`. metadata.json is written last
 * and records the size and checksum of the other two, so a version only exists once
 * it is whole: a crash mid-publish leaves nothing listed, and a torn copy is refused
 * on load. Training scratch lives under `_runs/`, which is never a version.
 */
import { createHash } from 'node:crypto';
import { BlurClass } from './blur-classes';
import { BlurEvaluation } from './blur-evaluation';
import { EpochResult } from './blur-trainer';
import { FeatureNormalizer } from './feature-normalizer';
import { ModelFiles, WEIGHTS_FILE } from './model-files';
import { SceneSplit, SplitName } from './scene-split';
import { BlurTrainParams } from './train-params';
import { Storage } from '../storage/storage';

export const RUNS_PREFIX = '_runs/';
/** Starts with '_' like the scratch folder, so no version name can collide with it. */
const DEFAULT_POINTER = '_default.json';
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface BlurModelMetadata {
  version: string;
  createdAt: string;
  classes: BlurClass[];
  featureNames: string[];
  analysisSize: number;
  normalizer: FeatureNormalizer;
  temperature: number;
  /** TensorFlow.js backend it was trained on: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  params: BlurTrainParams;
  dataset: {
    url: string;
    /** sha256 over every image's key, class and content checksum. */
    fingerprint: string;
    images: number;
    counts: Record<SplitName, Record<BlurClass, number>>;
    mismatches: number;
    split: SceneSplit;
  };
  metrics: BlurEvaluation & { evaluatedOn: 'test' | 'validation' };
  training: { ms: number; epochs: number; bestEpoch: number; resumedAtEpoch: number[]; history: EpochResult[] };
  files: Record<'model.json' | 'weights.bin', { size: number; sha256: string }>;
}

export class BlurModelNotFound extends Error {}
export class InvalidModelVersion extends Error {}

export function checkVersionName(version: string): string {
  if (!VERSION.test(version)) throw new InvalidModelVersion(`model version '${version}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return version;
}

export class BlurModelRegistry {
  constructor(readonly storage: Storage) {}

  async publish(files: ModelFiles, metadata: Omit<BlurModelMetadata, 'files'>): Promise<BlurModelMetadata> {
    const v = checkVersionName(metadata.version);
    await this.storage.put(`${v}/${WEIGHTS_FILE}`, files.weights, { contentType: 'application/octet-stream' });
    await this.storage.put(`${v}/model.json`, files.modelJson, { contentType: 'application/json' });
    const full: BlurModelMetadata = {
      ...metadata,
      files: { 'model.json': fileFacts(Buffer.from(files.modelJson)), 'weights.bin': fileFacts(files.weights) },
    };
    await this.storage.put(`${v}/metadata.json`, `${JSON.stringify(full, null, 2)}\n`, { contentType: 'application/json' });
    return full;
  }

  /** Complete versions, newest first. */
  async list(): Promise<BlurModelMetadata[]> {
    const keys = (await this.storage.list('')).map((o) => o.key).filter((k) => /^[^/_][^/]*\/metadata\.json$/.test(k));
    const all = await Promise.all(keys.map((k) => this.show(k.slice(0, -'/metadata.json'.length))));
    return all.filter((m): m is BlurModelMetadata => !!m).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.version < b.version ? 1 : -1));
  }

  async show(version: string): Promise<BlurModelMetadata | undefined> {
    if (!VERSION.test(version)) return undefined;
    const raw = await this.storage.get(`${version}/metadata.json`);
    return raw ? (JSON.parse(raw.toString('utf8')) as BlurModelMetadata) : undefined;
  }

  /** The version set with setDefault, else the newest; undefined when there is no model. */
  async defaultVersion(): Promise<string | undefined> {
    const pointer = await this.storage.get(DEFAULT_POINTER);
    if (pointer) {
      const { version } = JSON.parse(pointer.toString('utf8')) as { version: string };
      if (await this.show(version)) return version;
    }
    return (await this.list())[0]?.version;
  }

  async setDefault(version: string): Promise<void> {
    await this.require(version);
    await this.storage.put(DEFAULT_POINTER, `${JSON.stringify({ version })}\n`, { contentType: 'application/json' });
  }

  /** Unlists first (metadata.json), then removes the files, so no reader sees a torn version. */
  async delete(version: string): Promise<void> {
    await this.require(version);
    await this.storage.delete(`${version}/metadata.json`);
    await this.storage.delete(`${version}/model.json`);
    await this.storage.delete(`${version}/${WEIGHTS_FILE}`);
    const pointer = await this.storage.get(DEFAULT_POINTER);
    if (pointer && (JSON.parse(pointer.toString('utf8')) as { version: string }).version === version) await this.storage.delete(DEFAULT_POINTER);
  }

  /** `version`, or the default one when not given; throws BlurModelNotFound with what exists. */
  async resolve(version?: string): Promise<string> {
    if (version) return (await this.require(version)).version;
    const found = await this.defaultVersion();
    if (!found) throw new BlurModelNotFound(`no blur model in ${this.storage.url}: train one first (visionflow blur train --dataset URL)`);
    return found;
  }

  /** The model's files, checked against the sizes and checksums metadata.json recorded. */
  async load(version: string): Promise<{ files: ModelFiles; metadata: BlurModelMetadata }> {
    const metadata = await this.require(version);
    const modelJson = await this.storage.get(`${version}/model.json`);
    const weights = await this.storage.get(`${version}/${WEIGHTS_FILE}`);
    for (const [name, body] of [['model.json', modelJson], ['weights.bin', weights]] as const) {
      const want = metadata.files[name];
      if (!body || body.length !== want.size || sha256(body) !== want.sha256) {
        throw new Error(`blur model ${version}: ${name} is missing or does not match its recorded checksum`);
      }
    }
    return { files: { modelJson: modelJson!.toString('utf8'), weights: weights! }, metadata };
  }

  private async require(version: string): Promise<BlurModelMetadata> {
    checkVersionName(version);
    const found = await this.show(version);
    if (!found) {
      const known = (await this.list()).map((m) => m.version);
      throw new BlurModelNotFound(`no blur model version '${version}' in ${this.storage.url}${known.length ? `; versions: ${known.slice(0, 10).join(', ')}` : ''}`);
    }
    return found;
  }
}

function fileFacts(body: Buffer): { size: number; sha256: string } {
  return { size: body.length, sha256: sha256(body) };
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
