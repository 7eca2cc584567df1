import { invalidInput } from '../shared/app-error.js';
import { campaignSource, PLAIN_LOOK, type ListLook } from './newsletter-layout.js';
import { compileCampaign, renderCampaign, type LayoutSource, type RecipientData } from './campaign-template.js';
import type { CampaignInput } from './campaign-input.js';
import { lintContent, type LintFinding } from './content-lint.js';

/** What the console's editor shows: the mail as a sample subscriber would get it, and the lint. */
export interface CampaignPreview {
  subject: string;
  html: string;
  text: string;
  sample: string;
  htmlBytes: number;
  findings: LintFinding[];
}

/** Links in a preview lead nowhere: a preview must never carry a working opt-out token. */
const PREVIEW_LINK = '#preview';

/**
 * Renders a campaign's source for one sample subscriber (the list's first confirmed member, or a
 * made-up one) with links that lead nowhere, and lints the result. The same compile as `send`.
 */
export async function previewCampaign(
  fields: CampaignInput,
  context: {
    listName: string;
    sample: { email: string; name: string } | undefined;
    postalAddress: string;
    layouts?: LayoutSource | undefined;
    /** The list's brand and words, for a campaign in our layout. */
    look?: ListLook | undefined;
  },
): Promise<CampaignPreview> {
  const compiled = await compileCampaign(
    campaignSource({ ...fields, text: fields.text ?? null }, context.look ?? PLAIN_LOOK),
    context.layouts,
  );
  const sample = context.sample ?? { email: 'sample@example.com', name: 'Sam Sample' };
  const data: RecipientData = {
    subscriber: { ...sample },
    list: { name: context.listName },
    unsubscribe_url: PREVIEW_LINK,
    preferences_url: PREVIEW_LINK,
    postal_address: context.postalAddress,
  };
  let rendered: ReturnType<typeof renderCampaign>;
  try {
    rendered = renderCampaign(compiled, data);
  } catch (error) {
    // Liquid's own errors (a render over its time or memory limit, a missing filter) as a sentence.
    throw invalidInput(`The template could not be rendered: ${(error as Error).message.split('\n')[0]}`);
  }
  return {
    ...rendered,
    sample: sample.email,
    htmlBytes: Buffer.byteLength(rendered.html),
    findings: lintContent({ ...rendered, unsubscribeUrl: PREVIEW_LINK }),
  };
}
