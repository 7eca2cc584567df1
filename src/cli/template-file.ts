import { readFile } from 'node:fs/promises';
import { AppError } from '../shared/app-error.js';

/** A template file named on the command line (the CLI reads it; templates themselves read no files). */
export async function readTemplate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new AppError('not_found', `Cannot read ${file}.`);
  }
}
