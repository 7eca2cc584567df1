import type { Migration, MigrationResultSet } from 'kysely';
import { Migrator } from './kysely-runtime.js';
import { AppError } from '../shared/app-error.js';
import type { Database, Dialect } from './database.js';
import { initial } from './migrations/0001-initial.js';
import { campaigns } from './migrations/0002-campaigns.js';
import { feedback } from './migrations/0003-feedback.js';
import { reputation } from './migrations/0004-reputation.js';
import { abuseReports } from './migrations/0005-abuse-reports.js';
import { transactionalDue } from './migrations/0006-transactional-due.js';
import { feedbackTrust } from './migrations/0007-feedback-trust.js';
import { confirmationSends } from './migrations/0008-confirmation-sends.js';
import { settingChanges } from './migrations/0009-setting-changes.js';
import { dkimKeysAndSnapshots } from './migrations/0010-dkim-keys-and-snapshots.js';
import { accounts } from './migrations/0011-accounts.js';
import { consoleActivityAndDailyCounts } from './migrations/0012-console-activity-and-daily-counts.js';
import { auditRuns } from './migrations/0013-audit-runs.js';
import { feedbackKeyset } from './migrations/0014-feedback-keyset.js';
import { subscriberNames } from './migrations/0015-subscriber-names.js';
import { shopStreams } from './migrations/0017-shop-streams.js';
import { brandAndLanguages } from './migrations/0016-brand-and-languages.js';
import { campaignCounts } from './migrations/0018-campaign-counts.js';
import { leanSubscriptions } from './migrations/0019-lean-subscriptions.js';
import { segments } from './migrations/0020-segments.js';
import { automations } from './migrations/0021-automations.js';
import { tracking } from './migrations/0022-tracking.js';
import { abTests } from './migrations/0023-ab-tests.js';
import { automationMailCounts } from './migrations/0024-automation-mail-counts.js';

/** Numbered migrations in order; released ones are never edited, only appended to. */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-campaigns': campaigns(dialect),
    '0003-feedback': feedback(dialect),
    '0004-reputation': reputation(dialect),
    '0005-abuse-reports': abuseReports(dialect),
    '0006-transactional-due': transactionalDue(),
    '0007-feedback-trust': feedbackTrust(),
    '0008-confirmation-sends': confirmationSends(dialect),
    '0009-setting-changes': settingChanges(dialect),
    '0010-dkim-keys-and-snapshots': dkimKeysAndSnapshots(dialect),
    '0011-accounts': accounts(dialect),
    '0012-console-activity-and-daily-counts': consoleActivityAndDailyCounts(dialect),
    '0013-audit-runs': auditRuns(dialect),
    '0014-feedback-keyset': feedbackKeyset(),
    '0015-subscriber-names': subscriberNames(),
    '0016-brand-and-languages': brandAndLanguages(dialect),
    '0017-shop-streams': shopStreams(dialect),
    '0018-campaign-counts': campaignCounts(),
    '0019-lean-subscriptions': leanSubscriptions(dialect),
    '0020-segments': segments(dialect),
    '0021-automations': automations(dialect),
    '0022-tracking': tracking(dialect),
    '0023-ab-tests': abTests(),
    '0024-automation-mail-counts': automationMailCounts(),
  };
}

/** True when every migration has been applied (a read: what a read-only command checks first). */
export async function isSchemaCurrent(database: Database): Promise<boolean> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations(database.dialect) },
  });
  try {
    return (await migrator.getMigrations()).every((m) => m.executedAt !== undefined);
  } catch {
    return false;
  }
}

/** Brings the schema up to date; returns the names of the migrations it applied. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations(database.dialect) },
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('unavailable', `Migration ${failed} failed: ${(error as Error).message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
