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

/**
 * A file system that answers only for the files `has` allows and reads only those: what the
 * layouts folder and a snapshot's copies both are to the engine.
 */
function restrictedFs(
  has: (file: string) => boolean,
  load: (file: string) => string,
  refusal: string,
  resolve: FS['resolve'],
): FS {
  const read = (file: string): string => {
    if (!has(file)) throw new FileTagRefused(refusal);
    return load(file);
  };
  return {
    exists: (file) => Promise.resolve(has(file)),
    existsSync: has,
    readFile: (file) => {
      try {
        return Promise.resolve(read(file));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    readFileSync: read,
    resolve,
    contains: (_root, file) => Promise.resolve(has(file)),
    containsSync: (_root, file) => has(file),
  };
}

function layoutsFs(root: string): FS {
  return restrictedFs(
    (file) => insideFolder(root, file),
    (file) => readFileSync(file, 'utf8'),
    'templates can only read layouts from the layouts folder',
    (_dir, file, ext) => (LAYOUT_NAME.test(file) ? join(root, `${file}${ext}`) : join(root, '\0')),
  );
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

/** Where layouts come from: the owner's folder, or the copies a campaign snapshot keeps. */
type Layouts = { folder: string } | { copies: Readonly<Record<string, string>> };

function hasLayout(layouts: Layouts, name: string): boolean {
  return 'folder' in layouts
    ? insideFolder(layouts.folder, join(layouts.folder, `${name}.liquid`))
    : Object.hasOwn(layouts.copies, name);
}

/**
 * Refuses, with one sentence, a file tag that names anything but an existing layout by a literal
 * name (`{% layout "shop" %}`), or any file tag when there are no layouts.
 */
function checkFileTags(source: string, engine: Liquid, layouts: Layouts | undefined): void {
  for (const name of fileTagNames(source, engine)) {
    if (!layouts) throw new FileTagRefused(`{% ${name.tag} %}`);
    if (name.literal === undefined) {
      throw new FileTagRefused(
        `{% ${name.tag} %}: a layout is named by a plain quoted name (letters, digits, - and _) of a file in the layouts folder`,
      );
    }
    if (!hasLayout(layouts, name.literal)) {
      throw new FileTagRefused(`{% ${name.tag} "${name.literal}" %}: the layouts folder has no ${name.literal}.liquid`);
    }
  }
}

/** The file tags of a template, each with the layout it names when that is a valid literal name. */
function fileTagNames(source: string, engine: Liquid): Array<{ tag: string; literal: string | undefined }> {
  return tagsOf(source, engine)
    .filter(({ name }) => FILE_TAGS.has(name))
    .map(({ name, args }) => {
      const literal = /^\s*(['"])([^'"]*)\1/.exec(args)?.[2];
      return { tag: name, literal: literal !== undefined && LAYOUT_NAME.test(literal) ? literal : undefined };
    });
}

/** True when the template names a layout (or any file tag): its output is not its own source. */
export function usesLayouts(source: string): boolean {
  return fileTagNames(source, new Liquid({ fs: NO_FILES, relativeReference: false })).length > 0;
}

/** A file system holding only a snapshot's copies of its layouts. */
function copiesFs(copies: Readonly<Record<string, string>>): FS {
  return restrictedFs(
    (file) => Object.hasOwn(copies, file),
    (file) => copies[file] as string,
    'templates can only read the layouts they were approved with',
    (_dir, file) => (LAYOUT_NAME.test(file) ? file : '\0'),
  );
}

/**
 * The layouts the templates name, read from the folder (and the layouts those name, in turn):
 * what a campaign snapshot keeps so a later change in the folder changes nothing approved.
 */
export function layoutsUsed(sources: readonly string[], layoutsFolder: string | undefined): Record<string, string> {
  const copies: Record<string, string> = {};
  if (!layoutsFolder || !existsSync(layoutsFolder)) return copies;
  const folder = realpathSync(layoutsFolder);
  const engine = new Liquid({ fs: NO_FILES, relativeReference: false });
  const pending = [...sources];
  for (let source = pending.pop(); source !== undefined; source = pending.pop()) {
    for (const { literal } of fileTagNames(source, engine)) {
      if (literal === undefined || Object.hasOwn(copies, literal)) continue;
      const file = join(folder, `${literal}.liquid`);
      if (!insideFolder(folder, file)) continue; // compiling refuses it with the reason
      copies[literal] = readFileSync(file, 'utf8');
      pending.push(copies[literal]);
    }
  }
  return copies;
}

/**
 * A Liquid engine for templates written through the API or the CLI (campaigns, and later
 * transactional mail). Without a layouts folder it reads no files: `include`, `render` and
 * `layout` are refused when the template is parsed (saved), so a template can never mail the
 * server's secret or any other file. With the owner's layouts folder
 * (`LISTWARDEN_LAYOUTS_DIR`), those tags may name a layout of that folder, and nothing else; with
 * a snapshot's copies of its layouts (a map of name to content), only those.
 */
export function sandboxedLiquid(
  options: LiquidOptions = {},
  layoutSource?: string | Readonly<Record<string, string>>,
): Liquid {
  let layouts: Layouts | undefined;
  if (typeof layoutSource === 'string')
    layouts = { folder: existsSync(layoutSource) ? realpathSync(layoutSource) : layoutSource };
  else if (layoutSource) layouts = { copies: layoutSource };
  const roots = layouts && 'folder' in layouts ? [layouts.folder] : layouts ? ['.'] : [];
  const engine = new (class extends Liquid {
    override parse(html: string, filepath?: string): Template[] {
      checkFileTags(html, this, layouts);
      return super.parse(html, filepath);
    }
  })({
    // Templates come from people: none may hold the process. A render over 1 s, or one that
    // allocates over 64 MB (e.g. a loop over a billion numbers), stops with an error.
    renderLimit: 1000,
    memoryLimit: 64 * 1024 * 1024,
    parseLimit: 16 * 1024 * 1024,
    ...options,
    fs: !layouts ? NO_FILES : 'folder' in layouts ? layoutsFs(layouts.folder) : copiesFs(layouts.copies),
    root: roots,
    partials: roots,
    layouts: roots,
    extname: layouts && 'copies' in layouts ? '' : '.liquid',
    relativeReference: false,
  });
  return engine;
}
