#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isAppError } from '../shared/app-error.js';
import { registerApiKeysCommands } from './commands/apikeys.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerCampaignsCommands } from './commands/campaigns.js';
import { registerConsentCommands } from './commands/consent.js';
import { registerDkimCommands } from './commands/dkim.js';
import { registerFeedbackCommands } from './commands/feedback.js';
import { registerImportCommand } from './commands/import.js';
import { registerReputationCommands } from './commands/reputation.js';
import { registerListsCommands } from './commands/lists.js';
import { registerOutboxCommands } from './commands/outbox.js';
import { registerServerCommands } from './commands/server.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerSubscribersCommands } from './commands/subscribers.js';
import { registerUsersCommands } from './commands/users.js';
import { registerTemplatesCommands } from './commands/templates.js';
import { registerWebhooksCommands } from './commands/webhooks.js';
import { registerSegmentsCommands } from './commands/segments.js';
import { registerAutomationsCommands } from './commands/automations.js';

// Everything this process creates (the database with its WAL and SHM, captured mail, the secret)
// holds subscribers' data or keys: readable by the owner only.
process.umask(0o077);

// `listwarden subscribers list | head`: when the reader goes away, stop quietly (the reader has what it wanted).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// package.json is two folders up from both src/cli and dist/cli.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('listwarden')
  .description('Self-hosted email for shops that cannot spam: double opt-in, proof of consent, working opt-out.')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerServerCommands(program);
registerSettingsCommands(program);
registerDkimCommands(program);
registerListsCommands(program);
registerSubscribersCommands(program);
registerConsentCommands(program);
registerImportCommand(program);
registerApiKeysCommands(program);
registerCampaignsCommands(program);
registerSegmentsCommands(program);
registerAutomationsCommands(program);
registerTemplatesCommands(program);
registerWebhooksCommands(program);
registerOutboxCommands(program);
registerFeedbackCommands(program);
registerReputationCommands(program);
registerAuditCommand(program);
registerUsersCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help text).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isAppError(error)) {
    process.stderr.write(`listwarden: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    const e = error as NodeJS.ErrnoException;
    const hint = e.code === 'ECONNREFUSED' ? ' (is the database running?)' : '';
    process.stderr.write(`listwarden: ${e.message ?? String(error)}${hint}\n`);
    process.exitCode = 1;
  }
}
