import { readFile, stat } from 'node:fs/promises';
import type { BrandAssetsService } from '../brand/brand-assets.service.js';
import { MAX_IMAGE_BYTES } from '../brand/image.js';
import { invalidInput } from '../shared/app-error.js';

/** Reads an image file given on the command line and stores it as a brand image; returns its id. */
export async function storeImage(assets: Pick<BrandAssetsService, 'store'>, file: string): Promise<string> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw invalidInput(`The image file ${file} cannot be read (give the path of a PNG, JPEG, GIF or WebP file).`);
  }
  if (size > MAX_IMAGE_BYTES)
    throw invalidInput(`The image file ${file} is larger than 1 MB; a logo needs far less (about 400 pixels wide).`);
  return assets.store(await readFile(file));
}
