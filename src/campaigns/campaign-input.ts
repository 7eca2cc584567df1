import { z } from 'zod';
import { invalidInput } from '../shared/app-error.js';
import { innermostIssue } from '../shared/zod-issue.js';
import { defaultLayout } from './newsletter-layout.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

const schema = z.object({
  subject: z
    .string({ message: 'A campaign needs a subject.' })
    .trim()
    .min(1, 'A campaign needs a subject.')
    .max(500, 'The subject can be at most 500 characters.')
    .refine((v) => !CONTROL.test(v), 'The subject cannot contain line breaks.'),
  html: z
    .string({ message: 'A campaign needs an HTML template.' })
    .min(1, 'The HTML template is empty.')
    .max(1_000_000, 'The HTML template is larger than 1 MB.'),
  text: z.string().max(1_000_000, 'The text template is larger than 1 MB.').nullable().optional(),
  format: z.enum(['html', 'mjml']).default('html'),
  layout: z.enum(['newsletter', 'none'], { message: 'The layout is newsletter or none.' }).optional(),
});

export type CampaignInput = Omit<z.infer<typeof schema>, 'layout'> & { layout: 'newsletter' | 'none' };

/** Validates what `campaigns create` and POST /api/v1/campaigns receive. */
export function parseCampaignInput(input: unknown): CampaignInput {
  const result = schema.safeParse(input);
  if (!result.success)
    throw invalidInput(innermostIssue(result.error.issues[0])?.message ?? 'The campaign is not valid.');
  // Ours unless asked otherwise or the HTML is a whole document.
  return { ...result.data, layout: result.data.layout ?? defaultLayout(result.data.html) };
}

/** Parses `--at` / `sendAt`: an ISO 8601 time with a zone. */
export function parseSendAt(input: unknown): number | undefined {
  if (input === undefined || input === null || input === '') return undefined;
  const text = typeof input === 'string' ? input : typeof input === 'number' ? String(input) : '';
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  // Date.parse rolls 2027-02-30 over to March: a day the month does not have is refused instead.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (Number.isNaN(at) || month < 1 || month > 12 || day < 1 || day > daysInMonth)
    throw invalidInput(`"${text.slice(0, 40)}" is not an ISO 8601 time with a zone, such as 2026-12-01T09:00:00Z.`);
  return at;
}
