/** Reading PNGs back in tests: the size from IHDR, and the pixels through pngjs. */
import { PNG } from 'pngjs';
import { pngDimensions } from '../chat/multipart.js';

/** Width and height from the IHDR chunk; throws on anything that is not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const size = pngDimensions(png);
  if (!size) throw new Error(`not a PNG (${png.length} bytes)`);
  return size;
}

/** Pixels that are not white (the chart's background). */
export function inkedPixels(png: Buffer): number {
  const image = PNG.sync.read(png);
  let inked = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i]! < 250 || image.data[i + 1]! < 250 || image.data[i + 2]! < 250) inked += 1;
  }
  return inked;
}
