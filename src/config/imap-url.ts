/** The mailbox setting, pure (config reads it without loading the IMAP client). */
export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** Move handled messages here; without it they are only flagged \Seen. */
  doneFolder: string | undefined;
}

/** `imap[s]://user:password@host[:port]/Mailbox` → settings; undefined with the reason when it is not one. */
export function parseImapUrl(
  value: string,
  doneFolder?: string,
): { ok: true; settings: ImapSettings } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'must be a URL like imaps://user:password@mail.shop.example/INBOX' };
  }
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:')
    return { ok: false, reason: 'must start with imap:// or imaps://' };
  if (!url.username || !url.password)
    return { ok: false, reason: 'must carry the mailbox user and password (imaps://user:password@host/INBOX)' };
  const secure = url.protocol === 'imaps:';
  return {
    ok: true,
    settings: {
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 993 : 143,
      secure,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
      doneFolder,
    },
  };
}

/** The mailbox to poll for bounces and complaints, when its URL is set and valid. */
export function imapSettings(
  url: string | undefined,
  doneFolder: string | undefined,
  intervalSeconds: number,
): { settings: ImapSettings; intervalMs: number } | undefined {
  if (!url) return undefined;
  const parsed = parseImapUrl(url, doneFolder);
  return parsed.ok ? { settings: parsed.settings, intervalMs: intervalSeconds * 1000 } : undefined;
}
