/**
 * Reads a blur dataset from a folder or storage prefix laid out like the original
 * notebook's `Dataset/`: one folder per class (sharp, defocused_blurred or
 * defocused-blurred, motion_blurred or motion-blurred), files named
 * `id_device_type.ext` with type S, F or M. A file whose type letter disagrees with
 * its folder is reported and left out: its label is ambiguous.
 */
import { BlurClass, CLASS_LETTER, classOfFolder, classOfLetter } from './blur-classes';
import { Storage } from '../storage/storage';

export const DATASET_IMAGE = /\.(jpe?g|png|webp|tiff?|avif)$/i;

export interface BlurDatasetItem {
  /** Key relative to the dataset prefix, e.g. `sharp/12_phone_S.jpg`. */
  key: string;
  class: BlurClass;
  /** The `id` of the file name: photos of one scene share it. */
  scene: string;
  device: string;
  size: number;
}

export interface DatasetProblem {
  key: string;
  problem: string;
}

export interface BlurDatasetListing {
  items: BlurDatasetItem[];
  /** Type letter disagrees with the folder: left out. */
  mismatches: DatasetProblem[];
  /** Images kept whose names do not follow `id_device_type`: each is its own scene. */
  unnamed: DatasetProblem[];
  /** Files outside the class folders or not images. */
  ignored: string[];
}

export async function readBlurDataset(storage: Storage, folder: string): Promise<BlurDatasetListing> {
  // A folder prefix: `ds` must not also pick up `ds2/` or `ds.txt`.
  const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  const listing: BlurDatasetListing = { items: [], mismatches: [], unnamed: [], ignored: [] };
  for (const obj of await storage.list(prefix)) {
    const key = obj.key.slice(prefix.length);
    const [folder, ...rest] = key.split('/');
    const cls = rest.length > 0 ? classOfFolder(folder) : undefined;
    const file = rest[rest.length - 1] ?? folder;
    if (!cls || !DATASET_IMAGE.test(file) || file.startsWith('.')) {
      listing.ignored.push(key);
      continue;
    }
    const parsed = parseDatasetName(file);
    if (!parsed) {
      listing.unnamed.push({ key, problem: `name does not follow id_device_type (${CLASS_LETTER[cls]}); treated as its own scene` });
      listing.items.push({ key, class: cls, scene: file.replace(/\.[^.]+$/, ''), device: '', size: obj.size });
      continue;
    }
    const letterClass = classOfLetter(parsed.type);
    if (letterClass !== cls) {
      listing.mismatches.push({ key, problem: `type '${parsed.type}' means ${letterClass ?? 'no class'} but the file is in ${folder}/ (${cls}); left out` });
      continue;
    }
    listing.items.push({ key, class: cls, scene: parsed.id, device: parsed.device, size: obj.size });
  }
  return listing;
}

/** `12_iphone7_S.jpg` -> id 12, device iphone7, type S; undefined when the name has no such parts. */
export function parseDatasetName(file: string): { id: string; device: string; type: string } | undefined {
  const stem = file.replace(/\.[^.]+$/, '');
  const parts = stem.split('_');
  if (parts.length < 3) return undefined;
  const type = parts[parts.length - 1];
  if (!/^[A-Za-z]$/.test(type)) return undefined;
  return { id: parts[0], device: parts.slice(1, -1).join('_'), type: type.toUpperCase() };
}
