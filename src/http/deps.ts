import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { ActivityLog } from '../accounts/activity.service.js';
import type { ReputationMonitor } from '../reputation/monitor.service.js';
import type { SpambotWatch } from '../audit/spambot-watch.service.js';
import type { ConsentProof } from '../consent/proof.js';
import type { ImportJobs } from '../consent/import-jobs.js';
import type { DailyCounts } from '../metrics/daily-counts.service.js';
import type { DkimKeysService } from '../dkim/dkim-keys.service.js';
import type { ApiKeysService } from '../apikeys/apikeys.service.js';
import type { CampaignsService } from '../campaigns/campaigns.service.js';
import type { Config } from '../config/config.js';
import type { ConfirmService } from '../consent/confirm.js';
import type { SignupService } from '../consent/signup.js';
import type { Database } from '../db/database.js';
import type { ListsService } from '../lists/lists.service.js';
import type { PeopleService } from '../consent/people.service.js';
import type { TemplateRenderer } from '../templates/liquid.js';
import type { UnsubscribeService } from '../unsubscribe/unsubscribe.service.js';
import type { SettingsService } from '../config/settings.service.js';
import type { FeedbackService } from '../feedback/feedback.service.js';
import type { FeedbackBrowser } from '../feedback/feedback-browse.js';
import type { ReputationView } from '../reputation/reputation-view.service.js';
import type { AuditRuns } from '../audit/audit-runs.service.js';
import type { PublicPages } from './public-pages.js';
import type { Translator } from '../i18n/catalogue.js';
import type { BrandAssetsService } from '../brand/brand-assets.service.js';
import type { BrandResolver } from '../brand/brand-resolver.js';
import type { TxService } from '../transactional/tx.service.js';
import type { TxTemplatesService } from '../transactional/tx-templates.service.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';
import type { ShopService } from '../shop/shop.service.js';
import type { SegmentsService } from '../segments/segments.service.js';
import type { AttributesService } from '../segments/attributes.service.js';
import type { AutomationsService } from '../automations/automations.service.js';
import type { TrackingService } from '../tracking/tracking.service.js';

/** What the HTTP layer is given by the composition root; it builds nothing itself. */
export interface HttpDeps {
  config: Pick<Config, 'publicUrl' | 'trustProxy' | 'signupRateLimit' | 'confirmTokenTtlMs' | 'reputation'>;
  logger: Logger;
  clock: Clock;
  database: Database;
  lists: ListsService;
  signup: SignupService;
  confirm: ConfirmService;
  subscribers: PeopleService;
  apiKeys: ApiKeysService;
  accounts: AccountsService;
  activity: ActivityLog;
  dailyCounts: DailyCounts;
  imports: ImportJobs;
  /** The proof of consent of one address to one list (`consent proof`). */
  proof: (email: unknown, list: string) => Promise<ConsentProof>;
  reputation: Pick<ReputationMonitor, 'listings'>;
  spambotWatch: Pick<SpambotWatch, 'openCriticals'>;
  dkim: DkimKeysService;
  unsubscribe: UnsubscribeService;
  campaigns: CampaignsService;
  feedback: FeedbackService;
  feedbackBrowser: FeedbackBrowser;
  reputationView: ReputationView;
  auditRuns: AuditRuns;
  settings: SettingsService;
  pages: TemplateRenderer;
  /** Public pages in the list's language and brand. */
  publicPages: PublicPages;
  /** The catalogues (public pages' error messages). */
  i18n: Translator;
  brandAssets: BrandAssetsService;
  brand: BrandResolver;
  /** Transactional mail (`POST /api/v1/tx`) and its templates. */
  tx: TxService;
  txTemplates: TxTemplatesService;
  /** Outgoing webhook endpoints. */
  webhooks: WebhooksService;
  /** Shopify and WooCommerce customer sync. */
  shop: ShopService;
  /** Segments, and the attributes (typed per list) they read. */
  segments: SegmentsService;
  attributes: AttributesService;
  /** Welcome series and event flows. */
  automations: AutomationsService;
  /** Opens and clicks of tracked mail, and the link report. */
  tracking: TrackingService;
}
