import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';

/** Renders named Liquid templates; a shop's own templates folder wins over the built-in ones. */
export interface TemplateRenderer {
  render(name: string, data: Record<string, unknown>): Promise<string>;
}

/** Where the built-in templates live (`views/` at the package root, from src/ and dist/ alike). */
export function builtinViewsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'views', 'pages'))) return join(dir, 'views');
  }
  throw new Error('built-in views/ folder not found');
}

/**
 * `kind` selects a subfolder (pages, mail). HTML output escapes every `{{ }}` by default, so
 * subscriber input can never become markup; text output is left as written.
 */
export function createTemplateRenderer(options: {
  overrideDir: string;
  kind: 'pages' | 'mail';
  format: 'html' | 'text';
}): TemplateRenderer {
  const roots = [resolve(options.overrideDir, options.kind), join(builtinViewsDir(), options.kind)];
  const engine = new Liquid({
    root: roots,
    partials: roots,
    layouts: roots,
    extname: '.liquid',
    cache: true,
    strictFilters: true,
    ownPropertyOnly: true,
    ...(options.format === 'html' ? { outputEscape: 'escape' as const } : {}),
  });
  return {
    render: (name, data) => engine.renderFile(name, data) as Promise<string>,
  };
}

/** A renderer that follows a templates folder setting: rebuilt when the folder changes. */
export function liveTemplates(folder: () => string, kind: 'pages' | 'mail', format: 'html' | 'text'): TemplateRenderer {
  let current: { folder: string; renderer: TemplateRenderer } | undefined;
  return {
    render(name, data) {
      const wanted = folder();
      if (current?.folder !== wanted)
        current = { folder: wanted, renderer: createTemplateRenderer({ overrideDir: wanted, kind, format }) };
      return current.renderer.render(name, data);
    },
  };
}
