// mailauth 4 ships no type declarations; these cover what Listwarden uses.
declare module 'mailauth/lib/spf/index.js' {
  export function spf(options: {
    sender: string;
    ip: string;
    helo: string;
    mta?: string;
    maxResolveCount?: number;
    resolver?: (name: string, type: string) => Promise<unknown>;
  }): Promise<{
    status: { result: string; comment?: string };
    rr?: string;
    lookups?: { limit: number; count: number; void?: number };
  }>;
}

declare module 'mailauth/lib/dmarc/get-dmarc-record.js' {
  function getDmarcRecord(
    domain: string,
    resolver?: (name: string, type: string) => Promise<unknown>,
  ): Promise<false | ({ rr: string; isOrgRecord: boolean } & Record<string, string | number | boolean>)>;
  export = getDmarcRecord;
}
