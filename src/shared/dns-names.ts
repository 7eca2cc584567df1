/** `host` or `host:port` (IPv6 in brackets): a DNS server or a spamd address. */
export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:,]+)(:\d{1,5})?$/;

/** A lower-case DNS name of at least two labels (a domain, a DNSBL zone). */
export const DNS_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;
