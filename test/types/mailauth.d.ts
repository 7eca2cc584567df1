// mailauth 4 ships no type declarations; these cover what the tests use.
declare module 'mailauth/lib/dkim/verify.js' {
  export interface DkimResult {
    status: { result: string; aligned?: string | false; comment?: string };
    signingDomain: string;
    selector: string;
    algo: string;
    signingHeaders: { keys: string; headers: string[] };
    info: string;
  }
  export function dkimVerify(
    input: Buffer | string,
    options?: { resolver?: (name: string, type: string) => Promise<unknown> },
  ): Promise<{ headerFrom: string[]; results: DkimResult[] }>;
}
