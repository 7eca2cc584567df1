/** An uploaded image we can serve and mail: its type from its first bytes, and its size in pixels. Pure. */
export interface ImageInfo {
  extension: 'png' | 'jpg' | 'gif' | 'webp';
  contentType: string;
  width: number;
  height: number;
}

export type ImageCheck = { ok: true; image: ImageInfo } | { ok: false; reason: string };

/** The largest logo we keep: a logo is shown at about 200 × 60 pixels in pages and mail. */
export const MAX_IMAGE_BYTES = 1024 * 1024;
const MAX_SIDE = 4096;

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  prefix.every((b, i) => bytes[at + i] === b);

function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] as number;
    const length = b.readUInt16BE(at + 2);
    // SOF0–SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return undefined;
}

function webpSize(b: Buffer): { width: number; height: number } | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ' && b.length >= 30)
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

/**
 * PNG, JPEG, GIF or WebP, known by their signature (never by a file name or a claimed type). SVG
 * is refused: it can carry scripts, and most mail programs do not show it.
 */
export function inspectImage(bytes: Buffer): ImageCheck {
  if (bytes.length === 0) return { ok: false, reason: 'The image file is empty.' };
  if (bytes.length > MAX_IMAGE_BYTES)
    return {
      ok: false,
      reason: 'The image is larger than 1 MB; a logo needs far less (make it about 400 pixels wide).',
    };
  let image: ImageInfo | undefined;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) && bytes.length >= 24) {
    image = {
      extension: 'png',
      contentType: 'image/png',
      width: bytes.readUInt32BE(16),
      height: bytes.readUInt32BE(20),
    };
  } else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    const size = jpegSize(bytes);
    if (size) image = { extension: 'jpg', contentType: 'image/jpeg', ...size };
  } else if (
    bytes.length >= 10 &&
    (bytes.toString('latin1', 0, 6) === 'GIF87a' || bytes.toString('latin1', 0, 6) === 'GIF89a')
  ) {
    image = { extension: 'gif', contentType: 'image/gif', width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  } else if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    const size = webpSize(bytes);
    if (size) image = { extension: 'webp', contentType: 'image/webp', ...size };
  } else if (/^\s*(<\?xml|<svg|<!doctype svg)/i.test(bytes.toString('utf8', 0, 200))) {
    return {
      ok: false,
      reason: 'SVG images are not accepted (they can hold scripts and most mail programs do not show them); use PNG.',
    };
  }
  if (!image) return { ok: false, reason: 'The file is not a PNG, JPEG, GIF or WebP image.' };
  if (image.width < 1 || image.height < 1 || image.width > MAX_SIDE || image.height > MAX_SIDE)
    return { ok: false, reason: `The image must be between 1 and ${MAX_SIDE} pixels on each side.` };
  return { ok: true, image };
}
