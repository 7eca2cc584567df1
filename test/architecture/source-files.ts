import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './rules.js';

/** The non-test TypeScript files under `dir`, each with the imports TypeScript itself finds. */
export function readSourceFiles(root: string, dir = 'src'): SourceFile[] {
  const out: SourceFile[] = [];
  const visit = (path: string) => {
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) visit(full);
      else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts') && !entry.endsWith('.d.ts')) {
        const text = readFileSync(full, 'utf8');
        const imports = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
        out.push({ path: relative(root, full).split('\\').join('/'), imports, text });
      }
    }
  };
  visit(join(root, dir));
  return out;
}
