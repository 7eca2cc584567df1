import { simpleParser } from 'mailparser';
import { newMessageId } from '../mail/message-id.js';
import type { DnsblClient } from '../reputation/dnsbl-client.js';
import { organisationalDomain } from '../reputation/sender-auth-rules.js';
import type { SpamScore } from '../reputation/spam-scorer.js';
import type { ZoneInfo } from '../reputation/zones.js';
import type { CampaignMailHandler } from './campaign-mail.js';
import { linksIn, lintContent, type LintFinding } from './content-lint.js';
import { systemClock } from '../shared/clock.js';

export interface Finding {
  id: LintFinding['id'] | 'listed-link' | 'spam-score' | 'scorer-unavailable' | 'zone-unusable';
  severity: 'error' | 'warning';
  detail: string;
}

export interface PreSendReport {
  ok: boolean;
  checkedAt: string;
  findings: Finding[];
  links: Array<{ domain: string; listed: Array<{ zone: string; meaning: string }> }>;
  spam: SpamScore | null;
}

export interface PreSendDeps {
  handler: CampaignMailHandler;
  /** A client per check; undefined when no domain zones are configured. */
  dnsbl: (() => DnsblClient) | undefined;
  domainZones: readonly ZoneInfo[];
  scorer: ((raw: Buffer) => Promise<SpamScore>) | undefined;
  /** Overrides the scorer's own threshold. */
  threshold: number | undefined;
}

/**
 * The checks before a campaign goes out, on a real rendered message: built-in content lint,
 * every link's domain against the domain blocklists, and the spam scorer when one is configured.
 * Errors refuse the send unless it is forced.
 */
export async function preSendCheck(deps: PreSendDeps, campaign: { id: number }): Promise<PreSendReport> {
  const message = await deps.handler.renderFor(
    campaign.id,
    { id: 2 ** 48 - 1, email: 'pre-send-check@example.com', name: 'Pre-send Check', attributes: '{}' },
    newMessageId('listwarden.invalid', systemClock.now()),
  );
  const parsed = await simpleParser(message.raw);
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const text = parsed.text ?? '';
  const unsubscribeUrl =
    /<(https?:\/\/[^>]+)>/.exec(parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '')?.[1] ?? '';
  const findings: Finding[] = lintContent({ subject: parsed.subject ?? '', html, text, unsubscribeUrl });

  const links: PreSendReport['links'] = [];
  if (deps.dnsbl && deps.domainZones.length > 0) {
    const client = deps.dnsbl();
    const health = await Promise.all(deps.domainZones.map((z) => client.probe(z)));
    const usable = deps.domainZones.filter((_, i) => health[i]?.status === 'ok');
    for (const h of health.filter((x) => x.status !== 'ok'))
      findings.push({ id: 'zone-unusable', severity: 'warning', detail: `${h.zone} was not used: ${h.detail}` });
    const domains = [
      ...new Set(
        linksIn(html)
          .map((l) => l.host)
          .filter((h): h is string => h !== undefined)
          .map(organisationalDomain),
      ),
    ].slice(0, 50);
    for (const domain of domains) {
      const listed: Array<{ zone: string; meaning: string }> = [];
      for (const zone of usable) {
        const result = await client.lookup(domain, zone);
        if (result.status === 'listed')
          listed.push({
            zone: zone.zone,
            meaning: [result.meanings.join('; '), result.reason].filter(Boolean).join(': '),
          });
      }
      links.push({ domain, listed });
      for (const l of listed)
        findings.push({
          id: 'listed-link',
          severity: 'error',
          detail: `a link goes to ${domain}, listed in ${l.zone} (${l.meaning}): receivers drop mail that links there`,
        });
    }
  }

  let spam: SpamScore | null = null;
  if (!deps.scorer) {
    findings.push({
      id: 'scorer-unavailable',
      severity: 'warning',
      detail:
        'no spam scorer is configured, so the spam score was not checked (settings spam.spamd or spam.rspamd_url)',
    });
  } else {
    try {
      spam = await deps.scorer(message.raw);
      const threshold = deps.threshold ?? spam.threshold;
      if (spam.score >= threshold) {
        findings.push({
          id: 'spam-score',
          severity: 'error',
          detail: `${spam.scorer} scores the message ${spam.score} (limit ${threshold}): ${spam.symbols.slice(0, 12).join(', ')}`,
        });
      }
    } catch (error) {
      findings.push({
        id: 'scorer-unavailable',
        severity: 'warning',
        detail: `the spam scorer could not be asked: ${(error as Error).message}`,
      });
    }
  }
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    checkedAt: new Date(systemClock.now()).toISOString(),
    findings,
    links,
    spam,
  };
}
