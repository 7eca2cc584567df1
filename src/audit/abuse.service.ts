import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { FeedbackChannel, OutboxRow } from '../db/schema.js';
import type { ParsedFeedback } from '../feedback/parse-feedback.js';
import { queueOwnerAlert, type OwnerAlerts } from '../mail/owner-alert.js';
import { insertAbuseReport } from './abuse-reports.repo.js';
import { SPAMBOT_RESPONSE } from './finding.js';
import { systemClock, type Clock } from '../shared/clock.js';

export interface AbuseDeps {
  alerts: OwnerAlerts;
  logger: Logger;
  clock?: Clock;
}

/**
 * Abuse reports addressed to the host. One about our own outbox row is a complaint like any
 * other and is linked to it; one about a message we never sent means something else on this
 * server sends mail: it is kept, logged as critical and mailed to the owner at once.
 */
export function createAbuseService(deps: AbuseDeps) {
  return {
    /** Stores the report (and queues the alert) in the caller's transaction, with the feedback event. */
    async record(
      trx: Db,
      report: ParsedFeedback,
      outbox: OutboxRow | undefined,
      channel: FeedbackChannel,
    ): Promise<'ours' | 'foreign'> {
      const verdict = outbox ? 'ours' : 'foreign';
      const now = (deps.clock ?? systemClock).now();
      const messageId = report.original?.messageId ? `<${report.original.messageId}>` : null;
      await insertAbuseReport(trx, {
        at: now,
        channel,
        style: report.style,
        verdict,
        reporter: report.complaint?.reporter?.slice(0, 320) ?? null,
        source_ip: report.complaint?.sourceIp ?? null,
        report_type: report.complaint?.feedbackType ?? 'abuse',
        reported_message_id: messageId?.slice(0, 500) ?? null,
        reported_from: report.original?.returnPath?.slice(0, 320) ?? null,
        report_message_id: report.reportMessageId?.slice(0, 500) ?? null,
        outbox_id: outbox?.id ?? null,
        campaign_id: outbox?.campaign_id ?? null,
      });
      if (verdict === 'foreign') {
        await queueOwnerAlert(
          trx,
          deps.alerts,
          'Listwarden: abuse report about mail this server sent without Listwarden',
          [
            `An abuse report (${report.style}, ${report.complaint?.feedbackType ?? 'abuse'}) from ${report.complaint?.reporter ?? 'an unknown reporter'} names a message that Listwarden did not send.`,
            `Reported message: ${messageId ?? '(no Message-ID)'}${report.complaint?.sourceIp ? `, sent from ${report.complaint.sourceIp}` : ''}.`,
            '',
            'Something else on this server is sending mail.',
            '',
            ...SPAMBOT_RESPONSE,
          ].join('\n'),
          now,
        );
        deps.logger.error(
          {
            style: report.style,
            reporter: report.complaint?.reporter,
            sourceIp: report.complaint?.sourceIp,
            reportedMessageId: messageId,
          },
          'abuse report about mail Listwarden did not send: something else on this server sends mail',
        );
      }
      return verdict;
    },
  };
}

export type AbuseService = ReturnType<typeof createAbuseService>;
