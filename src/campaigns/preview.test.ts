import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../shared/app-error.js';
import { previewCampaign } from './preview.js';

const context = {
  listName: 'News',
  sample: { email: 'ann@example.test', name: 'Ann' },
  postalAddress: 'Shop BV, Delft',
};

describe("the campaign editor's preview", () => {
  it('renders for the sample member with the footer, links that lead nowhere, and the lint', async () => {
    const preview = await previewCampaign(
      {
        subject: 'Hi {{ subscriber.name }}',
        html: '<p>Hello {{ subscriber.name }}</p><a href="{{ unsubscribe_url }}">Leave</a>',
        format: 'html',
        layout: 'none',
      },
      context,
    );
    assert.equal(preview.subject, 'Hi Ann');
    assert.match(preview.html, /Hello Ann[\s\S]*href="#preview"[\s\S]*Shop BV, Delft/);
    assert.doesNotMatch(preview.html, /\/u\//, 'no opt-out token');
    assert.equal(preview.sample, 'ann@example.test');
    assert.ok(preview.htmlBytes > 0);
  });

  it('stops a template that would hold the server (a loop over a billion numbers) with a sentence, within seconds', async () => {
    const started = process.hrtime.bigint();
    await assert.rejects(
      previewCampaign(
        {
          subject: 'Loop',
          html: '{% for i in (1..1000000000) %}{{ i }}{% endfor %}<a href="{{ unsubscribe_url }}">Leave</a>',
          format: 'html',
          layout: 'none',
        },
        context,
      ),
      (error: unknown) =>
        isAppError(error) && error.code === 'invalid_input' && /could not be rendered/.test(error.message),
    );
    assert.ok(Number(process.hrtime.bigint() - started) / 1e9 < 5, 'stopped by the limit, not run to the end');
  });
});
