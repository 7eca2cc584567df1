import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { Liquid, Tokenizer, type FS, type LiquidOptions, type Template, type TopLevelToken } from 'liquidjs';

/** A template tried to read a file (`include`, `render`, `layout`) it may not read. */
export class FileTagRefused extends Error {}

const FILE_TAGS = new Set(['include', 'render', 'layout']);

/** A layout's name: a bare file name in the layouts folder, without the `.liquid` extension. */
const LAYOUT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A file system that has no files: the engine's last line of defence if a tag slipped through. */
const NO_FILES: FS = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: () => Promise.reject(new FileTagRefused('templates cannot read files')),
  readFileSync: () => {
    throw new FileTagRefused('templates cannot read files');
  },
  resolve: (_dir, file) => file,
  contains: () => Promise.resolve(false),
  containsSync: () => false,
};

/**
 * The owner's layouts folder as the only file system: a bare name resolves to `<name>.liquid` in
 * the folder, and a file is read only when its real path (symlinks followed) is inside the folder.
 */
/** True when `file` exists and its real path (symlinks followed) is inside `root` (a real path). */
function insideFolder(root: string, file: string): boolean {
  try {
    return realpathSync(file).startsWith(root + sep);
  } catch {
    return false;
  }
}

function layoutsFs(root: string): FS {
  const inside = (file: string) => insideFolder(root, file);
  const read = (file: string): string => {
    if (!inside(file)) throw new FileTagRefused('templates can only read layouts from the layouts folder');
    return readFileSync(file, 'utf8');
  };
  return {
    exists: (file) => Promise.resolve(inside(file)),
    existsSync: inside,
    readFile: (file) => {
      try {
        return Promise.resolve(read(file));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    readFileSync: read,
    resolve: (_dir, file, ext) => (LAYOUT_NAME.test(file) ? join(root, `${file}${ext}`) : join(root, '\0')),
    contains: (_root, file) => Promise.resolve(inside(file)),
    containsSync: (_root, file) => inside(file),
  };
}

/** Every tag of a template with its arguments, `{% liquid %}` lines included. */
function tagsOf(source: string, engine: Liquid): Array<{ name: string; args: string }> {
  const tokens: TopLevelToken[] = new Tokenizer(source, engine.options.operators).readTopLevelTokens(engine.options);
  const tags: Array<{ name: string; args: string }> = [];
  for (const token of tokens) {
    if (!('name' in token) || typeof token.name !== 'string') continue;
    const args = (token as { args?: string }).args ?? '';
    if (token.name === 'liquid') tags.push(...liquidLines(args, 0));
    else tags.push({ name: token.name, args });
  }
  return tags;
}

/** The tags of a `{% liquid %}` block, one per line; a line may itself be `liquid …` (nested). */
function liquidLines(block: string, depth: number): Array<{ name: string; args: string }> {
  const tags: Array<{ name: string; args: string }> = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    const [, name = '', rest = ''] = /^\s*(\w+)([\s\S]*)$/.exec(line) ?? [];
    if (name === 'liquid') {
      // Too deep to be a template anyone writes: refuse rather than look further.
      if (depth > 8) tags.push({ name: 'include', args: '' });
      else tags.push(...liquidLines(rest, depth + 1));
    } else tags.push({ name, args: rest });
  }
  return tags;
}

/**
 * Refuses, with one sentence, a file tag that names anything but an existing layout of the folder
 * by a literal name (`{% layout "shop" %}`), or any file tag when there is no layouts folder.
 */
function checkFileTags(source: string, engine: Liquid, folder: string | undefined): void {
  for (const { name, args } of tagsOf(source, engine)) {
    if (!FILE_TAGS.has(name)) continue;
    if (!folder) throw new FileTagRefused(`{% ${name} %}`);
    const literal = /^\s*(['"])([^'"]*)\1/.exec(args)?.[2];
    if (literal === undefined || !LAYOUT_NAME.test(literal)) {
      throw new FileTagRefused(
        `{% ${name} %}: a layout is named by a plain quoted name (letters, digits, - and _) of a file in the layouts folder`,
      );
    }
    if (!insideFolder(folder, join(folder, `${literal}.liquid`))) {
      throw new FileTagRefused(`{% ${name} "${literal}" %}: the layouts folder has no ${literal}.liquid`);
    }
  }
}

/**
 * A Liquid engine for templates written through the API or the CLI (campaigns, and later
 * transactional mail). Without a layouts folder it reads no files: `include`, `render` and
 * `layout` are refused when the template is parsed (saved), so a template can never mail the
 * server's secret or any other file. With the owner's layouts folder
 * (`LISTWARDEN_LAYOUTS_DIR`), those tags may name a layout of that folder, and nothing else.
 */
export function sandboxedLiquid(options: LiquidOptions = {}, layoutsFolder?: string): Liquid {
  const folder = layoutsFolder && existsSync(layoutsFolder) ? realpathSync(layoutsFolder) : layoutsFolder;
  const engine = new (class extends Liquid {
    override parse(html: string, filepath?: string): Template[] {
      checkFileTags(html, this, folder);
      return super.parse(html, filepath);
    }
  })({
    ...options,
    fs: folder ? layoutsFs(folder) : NO_FILES,
    root: folder ? [folder] : [],
    partials: folder ? [folder] : [],
    layouts: folder ? [folder] : [],
    extname: '.liquid',
    relativeReference: false,
  });
  return engine;
}
