import type { Command } from 'commander';
import { AppError } from '../../shared/app-error.js';
import { withServices } from '../context.js';
import { printJson, printTable } from '../output.js';

/** Asks for a password on a terminal without showing it; twice, so a typo is caught. */
async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new AppError(
      'invalid_input',
      'Give the password with --password, or run this on a terminal to be asked for it.',
    );
  }
  const read = (question: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(question);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let typed = '';
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(typed);
          }
          if (char === '\u0003') process.exit(130);
          typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
        }
      };
      stdin.on('data', onData);
    });
  const first = await read('Password (at least 12 characters): ');
  const second = await read('The same again: ');
  if (first !== second) throw new AppError('invalid_input', 'The two passwords differ; nothing was created.');
  return first;
}

/** `listwarden users create|list`: the console's users. */
export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description("the web console's users and their roles");

  users
    .command('create')
    .description('create a console user (owner: everything; editor: lists, imports, campaigns; viewer: reads)')
    .requiredOption('--email <email>', 'their address, also the login name')
    .requiredOption('--role <role>', 'owner, editor or viewer')
    .option('--password <password>', 'the password (without it, asked on the terminal)')
    .option('--json', 'print JSON')
    .action(async (opts: { email: string; role: string; password?: string; json?: boolean }) => {
      const password = opts.password ?? (await askPassword());
      const user = await withServices((s) => s.accounts.createUser({ email: opts.email, role: opts.role, password }));
      if (opts.json) return printJson(user);
      process.stdout.write(`Created ${user.role} ${user.email}; they sign in at the server's address.\n`);
    });

  users
    .command('list')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await withServices((s) => s.accounts.list());
      if (opts.json) return printJson({ users: all });
      printTable(
        all.map((u) => ({ ...u, locked: u.locked ? 'yes' : 'no', lastLoginAt: u.lastLoginAt ?? '-' })),
        ['email', 'role', 'lastLoginAt', 'locked'],
      );
    });
}
