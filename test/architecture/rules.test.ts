import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkArchitecture, type SourceFile } from './rules.js';

const file = (path: string, imports: string[] = [], text = ''): SourceFile => ({ path, imports, text });

describe('the architecture rules fail on a wrong tree, naming the file and the import', () => {
  it('Kysely outside a repository', () => {
    assert.deepEqual(checkArchitecture([file('src/campaigns/fan-out.ts', ['kysely'])]), [
      'src/campaigns/fan-out.ts imports kysely: SQL belongs in a *.repo.ts file or src/db/.',
    ]);
    assert.deepEqual(checkArchitecture([file('src/campaigns/campaigns.repo.ts', ['kysely'])]), []);
    assert.deepEqual(checkArchitecture([file('src/db/database.ts', ['kysely'])]), []);
  });

  it('db/bulk-sql and db/prepared outside a repository', () => {
    assert.deepEqual(checkArchitecture([file('src/feedback/actions.ts', ['../db/bulk-sql.js', '../db/prepared.js'])]), [
      'src/feedback/actions.ts imports ../db/bulk-sql.js: SQL belongs in a *.repo.ts file or src/db/.',
      'src/feedback/actions.ts imports ../db/prepared.js: SQL belongs in a *.repo.ts file or src/db/.',
    ]);
  });

  it('an import against the module order', () => {
    assert.deepEqual(checkArchitecture([file('src/feedback/guard.service.ts', ['../campaigns/campaigns.repo.js'])]), [
      'src/feedback/guard.service.ts imports ../campaigns/campaigns.repo.js: feedback may not depend on campaigns, which comes after it in the module order.',
    ]);
    assert.deepEqual(
      checkArchitecture([file('src/campaigns/campaigns.service.ts', ['../feedback/feedback.repo.js'])]),
      [],
    );
  });

  it('a cycle between two modules breaks the order on one side', () => {
    const problems = checkArchitecture([
      file('src/consent/signup.ts', ['../subscribers/subscribers.repo.js']),
      file('src/subscribers/subscribers.service.ts', ['../consent/consent.repo.js']),
    ]);
    assert.deepEqual(problems, [
      'src/subscribers/subscribers.service.ts imports ../consent/consent.repo.js: subscribers may not depend on consent, which comes after it in the module order.',
    ]);
  });

  it('peers on one line of the order may not import each other', () => {
    assert.deepEqual(checkArchitecture([file('src/lists/lists.service.ts', ['../apikeys/apikeys.service.js'])]), [
      'src/lists/lists.service.ts imports ../apikeys/apikeys.service.js: lists may not depend on apikeys, which comes beside it in the module order.',
    ]);
  });

  it('a module that is not in the order', () => {
    assert.deepEqual(checkArchitecture([file('src/widgets/w.ts')]), [
      'src/widgets/w.ts is in the module "widgets", which is not in the module order of test/architecture/rules.ts.',
    ]);
  });

  it('process.env outside config/', () => {
    assert.deepEqual(checkArchitecture([file('src/cli/commands/audit.ts', [], 'if (process.env.X) {}')]), [
      'src/cli/commands/audit.ts reads process.env: only src/config/ reads the environment.',
    ]);
    assert.deepEqual(checkArchitecture([file('src/config/config.ts', [], 'process.env.X')]), []);
  });

  it('a table written outside its owner, or outside a repository', () => {
    assert.deepEqual(
      checkArchitecture([file('src/campaigns/campaigns.repo.ts', [], "db.updateTable('outbox').set({})")]),
      ['src/campaigns/campaigns.repo.ts writes the table outbox, which belongs to mail/.'],
    );
    assert.deepEqual(checkArchitecture([file('src/mail/worker.ts', [], "db.deleteFrom('outbox')")]), [
      'src/mail/worker.ts writes the table outbox outside a *.repo.ts file.',
    ]);
    assert.deepEqual(checkArchitecture([file('src/mail/outbox.repo.ts', [], "db.insertInto('outbox')")]), []);
  });

  it('a subscription status written outside the consent operation', () => {
    assert.deepEqual(
      checkArchitecture([file('src/unsubscribe/unsubscribe.service.ts', [], 'await saveSubscription(trx, 1, 2)')]),
      [
        'src/unsubscribe/unsubscribe.service.ts uses saveSubscription: a subscription changes only through changeConsent (consent/change-consent.ts).',
      ],
    );
  });
});
