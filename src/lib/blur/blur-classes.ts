/**
 * The three image classes of the blur model, in the fixed order of the network's
 * outputs, with the dataset folder spellings and file-name type letters that name them.
 */
export const BLUR_CLASSES = ['sharp', 'defocused', 'motion'] as const;
export type BlurClass = (typeof BLUR_CLASSES)[number];

/** Folder names a dataset may use for each class (the original notebook used the first). */
export const CLASS_FOLDERS: Record<BlurClass, readonly string[]> = {
  sharp: ['sharp'],
  defocused: ['defocused_blurred', 'defocused-blurred'],
  motion: ['motion_blurred', 'motion-blurred'],
};

/** The `type` letter in `id_device_type.ext` file names. */
export const CLASS_LETTER: Record<BlurClass, string> = { sharp: 'S', defocused: 'F', motion: 'M' };

export function classOfFolder(folder: string): BlurClass | undefined {
  const lower = folder.toLowerCase();
  return BLUR_CLASSES.find((c) => CLASS_FOLDERS[c].includes(lower));
}

export function classOfLetter(letter: string): BlurClass | undefined {
  const upper = letter.toUpperCase();
  return BLUR_CLASSES.find((c) => CLASS_LETTER[c] === upper);
}

export function isBlurred(c: BlurClass): boolean {
  return c !== 'sharp';
}
