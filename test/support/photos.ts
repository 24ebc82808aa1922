/**
 * Real photographs for the blur tests, from Debian wallpaper packages: blur behaves
 * differently on real scenes than on drawn shapes, and nothing is downloaded at test
 * time. The list is fixed and sorted; each file was checked by eye to be a photograph
 * (not vector or abstract art) with texture to lose (variance of the Laplacian of the
 * grey image >= 240 at 512 px), so sharpness tests have detail to measure.
 */
import * as fs from 'node:fs';

const PACKAGES = 'lomiri-wallpapers-16.04 mate-backgrounds plasma-workspace-wallpapers';

/** Sorted by path. KDE packages link every size to one real file; these are the real files. */
export const PHOTO_FILES: readonly string[] = [
  '/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg',
  '/usr/share/backgrounds/Dragonfly_by_Bolly.jpg',
  '/usr/share/backgrounds/Picture_0B_by_freespace.jpg',
  '/usr/share/backgrounds/Picture_1A_by_freespace.jpg',
  '/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg',
  '/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg',
  '/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg',
  '/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg',
  '/usr/share/backgrounds/mate/nature/Dune.jpg',
  '/usr/share/backgrounds/mate/nature/TwoWings.jpg',
  '/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg',
  '/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg',
  '/usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/Grey/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg',
  '/usr/share/wallpapers/Path/contents/images/2560x1600.jpg',
];

/** Paths of the first n photos of PHOTO_FILES. */
export function testPhotos(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > PHOTO_FILES.length) {
    throw new Error(`testPhotos(n): n must be an integer from 1 to ${PHOTO_FILES.length}, got ${n}`);
  }
  const wanted = PHOTO_FILES.slice(0, n);
  const missing = wanted.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(`test photos missing (${missing.join(', ')}); install them with: sudo apt-get install ${PACKAGES}`);
  }
  return wanted;
}
