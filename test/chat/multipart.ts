/**
 * A lenient multipart/form-data reader for the platform emulators: grammY
 * writes part headers in lower case and file names unquoted (a strict parser
 * drops such parts). Parts with a filename are files, the rest fields.
 */
export interface FilePart {
  filename: string;
  contentType: string | null;
  data: Buffer;
}

export function parseMultipart(body: Buffer, type: string): { fields: Record<string, string>; files: Record<string, FilePart> } {
  const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
  if (!boundary) throw new Error('multipart without boundary');
  const fields: Record<string, string> = {};
  const files: Record<string, FilePart> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const headers = part.subarray(0, split).toString('utf8');
      const content = part.subarray(split + 4);
      const name = /name="?([^";\r\n]+)"?/i.exec(headers)?.[1];
      const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
      if (name && filename !== undefined) files[name] = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? null, data: Buffer.from(content) };
      else if (name) fields[name] = content.toString('utf8');
    }
    start = next;
  }
  return { fields, files };
}

/** Width and height of a PNG (IHDR follows the 8-byte signature), or null for anything else. */
export function pngDimensions(data: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 24 || !data.subarray(0, 8).equals(signature) || data.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}
