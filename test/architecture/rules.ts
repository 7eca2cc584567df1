/**
 * The house rules of docs/architecture.md as pure checks over source files: each violation is one
 * sentence naming the file and what it imports or writes. `architecture.test.ts` runs them over
 * src/; `rules.test.ts` shows each rule failing on a small made-up tree.
 */

/** One source file: its path under the repository (`src/...`), what it imports, its text. */
export interface SourceFile {
  path: string;
  /** Import specifiers as written (static, dynamic, re-exports). */
  imports: string[];
  text: string;
}

/**
 * The module order, lowest first. A module may import its own folder and any module listed before
 * it; modules on one line are peers and may not import each other. No import against the order
 * means no cycle between modules.
 */
export const MODULE_ORDER: readonly (readonly string[])[] = [
  ['shared', 'types'],
  ['db'],
  ['metrics'],
  ['config'],
  ['i18n'],
  ['templates'],
  ['brand'],
  ['mail'],
  ['webhooks'],
  ['dkim'],
  ['subscribers'],
  ['lists', 'apikeys', 'accounts'],
  ['consent'],
  ['segments'],
  ['unsubscribe'],
  ['tracking'],
  ['transactional', 'shop'],
  ['feedback'],
  ['reputation'],
  ['campaigns'],
  ['automations'],
  ['audit'],
  ['http'],
  ['main'],
  ['cli'],
];

/** Which module owns (alone writes) each table. */
export const TABLE_OWNERS: Readonly<Record<string, string>> = {
  lists: 'lists',
  consent_texts: 'lists',
  brand_assets: 'brand',
  api_keys: 'apikeys',
  subscribers: 'subscribers',
  subscriptions: 'consent',
  consent_events: 'consent',
  confirmation_mailboxes: 'consent',
  confirmation_domains: 'consent',
  suppressions: 'consent',
  outbox: 'mail',
  campaign_counts: 'mail',
  campaigns: 'campaigns',
  feedback_events: 'feedback',
  feedback_quarantine: 'feedback',
  reputation_checks: 'reputation',
  abuse_reports: 'audit',
  audit_runs: 'audit',
  settings: 'db',
  setting_changes: 'db',
  dkim_keys: 'dkim',
  users: 'accounts',
  sessions: 'accounts',
  activity: 'accounts',
  daily_counts: 'metrics',
  tx_templates: 'transactional',
  tx_requests: 'transactional',
  webhook_endpoints: 'webhooks',
  webhook_events: 'webhooks',
  webhook_deliveries: 'webhooks',
  webhook_attempts: 'webhooks',
  inbound_webhooks: 'shop',
  list_attributes: 'lists',
  segments: 'segments',
  automations: 'automations',
  automation_steps: 'automations',
  automation_runs: 'automations',
  campaign_links: 'tracking',
  engagement: 'tracking',
};

/** The module of a file under src/: its first folder, or `main` for files at the top. */
export function moduleOf(path: string): string {
  const rest = path.replace(/^src\//, '');
  return rest.includes('/') ? (rest.split('/')[0] as string) : 'main';
}

function rankOf(module: string): number {
  return MODULE_ORDER.findIndex((line) => line.includes(module));
}

/** `../feedback/x.js` seen from `src/campaigns/y.ts` → `src/feedback/x.ts`; packages stay as they are. */
export function resolveImport(from: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const parts = from.split('/').slice(0, -1);
  for (const segment of specifier.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.') parts.push(segment);
  }
  return parts.join('/').replace(/\.js$/, '.ts');
}

const isRepo = (path: string) => path.endsWith('.repo.ts');
const inDb = (path: string) => path.startsWith('src/db/');
const SQL_BUILDERS = new Set(['kysely', 'src/db/bulk-sql.ts', 'src/db/prepared.ts']);

/** Kysely, `db/bulk-sql` and `db/prepared` only in `*.repo.ts` and `src/db/`: no SQL outside repositories. */
export function sqlOnlyInRepos(file: SourceFile): string[] {
  if (isRepo(file.path) || inDb(file.path)) return [];
  return file.imports
    .filter((specifier) => SQL_BUILDERS.has(resolveImport(file.path, specifier)))
    .map((specifier) => `${file.path} imports ${specifier}: SQL belongs in a *.repo.ts file or src/db/.`);
}

/** No import against the module order (and so no cycle between modules). */
export function moduleOrder(file: SourceFile): string[] {
  const own = moduleOf(file.path);
  const ownRank = rankOf(own);
  const problems: string[] = [];
  if (ownRank < 0)
    return [`${file.path} is in the module "${own}", which is not in the module order of test/architecture/rules.ts.`];
  for (const specifier of file.imports) {
    const target = resolveImport(file.path, specifier);
    if (!target.startsWith('src/')) continue;
    const other = moduleOf(target);
    if (other === own) continue;
    const rank = rankOf(other);
    if (rank < 0) {
      problems.push(`${file.path} imports ${specifier}: the module "${other}" is not in the module order.`);
    } else if (rank >= ownRank) {
      problems.push(
        `${file.path} imports ${specifier}: ${own} may not depend on ${other}, which comes ${rank === ownRank ? 'beside' : 'after'} it in the module order.`,
      );
    }
  }
  return problems;
}

/** `process.env` only in src/config/: the environment is read in one place. */
export function environmentOnlyInConfig(file: SourceFile): string[] {
  if (file.path.startsWith('src/config/')) return [];
  return /\bprocess\.env\b/.test(file.text)
    ? [`${file.path} reads process.env: only src/config/ reads the environment.`]
    : [];
}

const WRITES = [
  /\b(?:insertInto|updateTable|deleteFrom|replaceInto)\(\s*'([a-z_]+)'/g,
  /\btable:\s*'([a-z_]+)'/g,
  /\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_]+)"?/gi,
];

/** A table is written only by its owner's repository (migrations aside). */
export function tableOwnership(file: SourceFile): string[] {
  if (file.path.startsWith('src/db/migrations/')) return [];
  const own = moduleOf(file.path);
  const problems = new Set<string>();
  for (const pattern of WRITES) {
    for (const match of file.text.matchAll(pattern)) {
      const table = (match[1] as string).toLowerCase();
      const owner = TABLE_OWNERS[table];
      if (owner === undefined) continue;
      if (owner !== own) problems.add(`${file.path} writes the table ${table}, which belongs to ${owner}/.`);
      else if (!isRepo(file.path) && !inDb(file.path))
        problems.add(`${file.path} writes the table ${table} outside a *.repo.ts file.`);
    }
  }
  return [...problems];
}

const STATUS_WRITERS = /\b(?:saveSubscription|insertSubscriptionsBulk)\b/;

/** A subscription's status changes only through the consent operation (consent/change-consent.ts). */
export function consentThroughOneOperation(file: SourceFile): string[] {
  if (file.path === 'src/consent/consent.repo.ts' || file.path === 'src/consent/change-consent.ts') return [];
  const match = STATUS_WRITERS.exec(file.text);
  return match
    ? [`${file.path} uses ${match[0]}: a subscription changes only through changeConsent (consent/change-consent.ts).`]
    : [];
}

/** Every rule over every file. */
export function checkArchitecture(files: readonly SourceFile[]): string[] {
  return files.flatMap((file) => [
    ...sqlOnlyInRepos(file),
    ...moduleOrder(file),
    ...environmentOnlyInConfig(file),
    ...tableOwnership(file),
    ...consentThroughOneOperation(file),
  ]);
}
