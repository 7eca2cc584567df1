/** Who asked, from where: the evidence a consent event keeps. Built at the boundary (HTTP, CLI). */
export interface ClientContext {
  ip: string | null;
  userAgent: string | null;
  /** The page URL, `api`, `api key "<name>"`, `cli`, or an import source. */
  source: string | null;
  channel: 'form' | 'api' | 'cli' | 'import' | 'admin-api' | 'mail' | 'console' | 'shopify' | 'woocommerce';
  apiKeyName?: string;
}
