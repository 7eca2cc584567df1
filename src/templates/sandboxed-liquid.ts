import { Liquid, type FS, type LiquidOptions } from 'liquidjs';

/** A template tried to read a file (`include`, `render`, `layout`). */
export class FileTagRefused extends Error {}

const FILE_TAGS = ['include', 'render', 'layout'] as const;

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
 * A Liquid engine for templates written through the API or the CLI (campaigns, and later
 * transactional mail): it reads no files. `include`, `render` and `layout` are refused when the
 * template is parsed, so a template can never mail the server's secret or any other file.
 */
export function sandboxedLiquid(options: LiquidOptions = {}): Liquid {
  const engine = new Liquid({
    ...options,
    fs: NO_FILES,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
  });
  for (const tag of FILE_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new FileTagRefused(`{% ${tag} %}`);
      },
      render() {
        throw new FileTagRefused(`{% ${tag} %}`);
      },
    });
  }
  return engine;
}
