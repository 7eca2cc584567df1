/**
 * The script a worker thread starts from: `<name>.js` beside the module `from` (a built install),
 * or, run from the TypeScript sources (development, tests), a tiny script that registers tsx before
 * importing `<name>.ts`: loader hooks of the main thread do not reach worker threads on Node 20.
 */
export function threadScript(from: string, name: string): URL {
  const here = new URL(from);
  const fromSource = here.pathname.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, here);
  if (!fromSource) return entry;
  return new URL(
    `data:text/javascript,${encodeURIComponent(
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry.href)});`,
    )}`,
  );
}
