import { TextDecoder } from 'node:util';

/**
 * A small, defensive MIME reader for reports (DSN, ARF) and the copies of our own mail inside
 * them. Pure and bounded: input is taken as bytes in a latin1 string, depth, part count and
 * header size are capped, and nothing throws on malformed input — oddities become empty values.
 */
export interface MimeEntity {
  /** Lower-case header name → unfolded values in order. */
  headers: Map<string, string[]>;
  /** Lower-case `type/subtype`; `text/plain` when absent or unreadable. */
  type: string;
  params: Record<string, string>;
  /** Decoded text of a leaf part (transfer encoding and charset undone). */
  body: string;
  parts: MimeEntity[];
  /** The enclosed message of a message/rfc822 (or text/rfc822-headers) part. */
  message?: MimeEntity;
}

export interface MimeLimits {
  maxDepth: number;
  maxParts: number;
  maxHeaderBytes: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = { maxDepth: 12, maxParts: 500, maxHeaderBytes: 256 * 1024 };

/** Bytes (or text) of a whole message → its entity tree. */
export function parseMime(input: Buffer | string, limits: MimeLimits = DEFAULT_MIME_LIMITS): MimeEntity {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const state = { parts: 0 };
  return parseEntity(text.replace(/\r\n?/g, '\n'), 0, limits, state);
}

export function header(entity: MimeEntity | undefined, name: string): string | undefined {
  return entity?.headers.get(name)?.[0];
}

/** Every entity of the tree, depth first (enclosed messages included). */
export function* walk(entity: MimeEntity): Generator<MimeEntity> {
  yield entity;
  for (const part of entity.parts) yield* walk(part);
  if (entity.message) yield* walk(entity.message);
}

function parseEntity(text: string, depth: number, limits: MimeLimits, state: { parts: number }): MimeEntity {
  state.parts++;
  let split = text.indexOf('\n\n');
  // A message that starts with its body (no headers) or has no body at all.
  if (text.startsWith('\n')) split = 0;
  const rawHeaders = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + (split === 0 ? 1 : 2));
  const headers = parseHeaders(
    rawHeaders.length > limits.maxHeaderBytes ? rawHeaders.slice(0, limits.maxHeaderBytes) : rawHeaders,
  );
  const { type, params } = parseContentType(headers.get('content-type')?.[0]);
  const entity: MimeEntity = { headers, type, params, body: '', parts: [] };
  const encoding = (headers.get('content-transfer-encoding')?.[0] ?? '').trim().toLowerCase();
  const tooDeep = depth >= limits.maxDepth || state.parts >= limits.maxParts;

  if (type.startsWith('multipart/') && params.boundary && !tooDeep) {
    const split = (boundary: string) => {
      for (const chunk of splitMultipart(body, boundary)) {
        if (state.parts >= limits.maxParts) break;
        entity.parts.push(parseEntity(chunk, depth + 1, limits, state));
      }
    };
    split(params.boundary);
    const used = entity.parts.length === 0 ? usedBoundary(body, params.boundary) : undefined;
    if (used) split(used);
    if (entity.parts.length === 0) entity.body = decodeCharset(body, params.charset);
    return entity;
  }
  const decoded = decodeTransfer(body, encoding);
  if ((type === 'message/rfc822' || type === 'message/global' || type === 'text/rfc822-headers') && !tooDeep) {
    const inner =
      type === 'text/rfc822-headers' && !decoded.includes('\n\n') ? `${decoded.replace(/\n+$/, '')}\n\n` : decoded;
    entity.message = parseEntity(inner.replace(/^\n+/, ''), depth + 1, limits, state);
    entity.body = decoded.length > 65_536 ? decoded.slice(0, 65_536) : decoded;
    return entity;
  }
  entity.body = decodeCharset(decoded, params.charset);
  return entity;
}

/**
 * The boundary a multipart body really uses when it is not the declared one (a relay rewrote the
 * header, or the report was edited): the first `--token` line that comes back later.
 */
function usedBoundary(body: string, declared: string): string | undefined {
  const first = /^--([^\s-][^\s]{0,69}?)[ \t]*$/m.exec(body.slice(0, 64 * 1024));
  const token = first?.[1];
  if (!token || token === declared || !body.includes(`\n--${token}`, (first?.index ?? 0) + 2)) return undefined;
  return token;
}

export function parseHeaders(block: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let name = '';
  let value = '';
  const flush = () => {
    if (!name) return;
    const key = name.toLowerCase();
    const list = headers.get(key);
    if (list) list.push(value.trim());
    else headers.set(key, [value.trim()]);
  };
  for (const line of block.split('\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && name) {
      value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    // Header names are printable ASCII without spaces; anything else is not a header line.
    if (colon > 0 && colon < 80 && /^[!-9;-~]+$/.test(line.slice(0, colon))) {
      name = line.slice(0, colon);
      value = line.slice(colon + 1);
    } else {
      name = '';
    }
  }
  flush();
  return headers;
}

export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  if (!value) return { type: 'text/plain', params };
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  const rest = semi < 0 ? '' : value.slice(semi);
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    const key = (m[1] as string).toLowerCase().replace(/\*$/, '');
    params[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { type: /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'text/plain', params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const chunks: string[] = [];
  let at = body.startsWith(delimiter) ? 0 : body.indexOf(`\n${delimiter}`);
  if (at < 0) return [];
  if (at > 0 || body[0] === '\n') at += 1;
  for (;;) {
    const lineEnd = body.indexOf('\n', at);
    if (body.startsWith('--', at + delimiter.length)) break; // closing delimiter
    if (lineEnd < 0) break;
    const next = body.indexOf(`\n${delimiter}`, lineEnd);
    chunks.push(body.slice(lineEnd + 1, next < 0 ? body.length : next));
    if (next < 0) break;
    at = next + 1;
  }
  return chunks;
}

function decodeTransfer(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** Trailing blanks of every line go (RFC 2045 6.7 (3)); done by hand, a regex would be quadratic on long blank runs. */
function trimLineEnds(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let end = line.length;
    while (end > 0 && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
    if (end !== line.length) lines[i] = line.slice(0, end);
  }
  return lines.join('\n');
}

export function decodeQuotedPrintable(body: string): string {
  return trimLineEnds(body)
    .replace(/=\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const decoders = new Map<string, TextDecoder | null>();

/** Bytes in a latin1 string → text in `charset`; UTF-8 when it is valid, else latin1. */
export function decodeCharset(bytes: string, charset: string | undefined): string {
  // Pure ASCII reads the same in every charset we meet.
  if (!/[^\x00-\x7f]/.test(bytes)) return bytes;
  const label = (charset ?? 'utf-8').trim().toLowerCase();
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label, { fatal: true });
    } catch {
      decoder = null;
    }
    if (decoders.size < 64) decoders.set(label, decoder);
  }
  const buffer = Buffer.from(bytes, 'latin1');
  for (const d of [decoder, decoders.get('utf-8')]) {
    if (!d) continue;
    try {
      return d.decode(buffer);
    } catch {
      // not valid in this charset; try the next
    }
  }
  return bytes;
}
decoders.set('utf-8', new TextDecoder('utf-8', { fatal: true }));

/** RFC 2047 encoded words in a header value (subjects of auto-replies). */
export function decodeWords(value: string): string {
  return value
    .slice(0, 4000)
    .replace(
      /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=(?:\s+(?==\?))?/g,
      (_, charset: string, kind: string, text: string) => {
        const bytes =
          kind.toLowerCase() === 'b'
            ? Buffer.from(text, 'base64').toString('latin1')
            : decodeQuotedPrintable(text.replace(/_/g, ' '));
        return decodeCharset(bytes, charset.replace(/\*.*$/, ''));
      },
    );
}
