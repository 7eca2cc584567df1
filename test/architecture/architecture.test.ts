import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkArchitecture } from './rules.js';
import { readSourceFiles } from './source-files.js';

const root = new URL('../..', import.meta.url).pathname;

describe('the architecture of src/', () => {
  it('keeps every house rule (module order, SQL in repos, table owners, the environment in config/)', () => {
    const files = readSourceFiles(root);
    assert.ok(files.length > 100, `only ${files.length} source files found`);
    const problems = checkArchitecture(files);
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  });
});
