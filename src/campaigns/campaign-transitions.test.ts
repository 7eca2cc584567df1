import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CampaignStatus } from '../db/schema.js';
import { CAMPAIGN_MOVES, canMove, nextStatuses, type CampaignEvent } from './campaign-transitions.js';

const ALL: CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused', 'stopped_by_guard', 'finished', 'cancelled'];

describe('campaign transitions', () => {
  it('a draft is scheduled, started or cancelled, and nothing else', () => {
    assert.deepEqual(nextStatuses('draft').sort(), ['cancelled', 'running', 'scheduled']);
  });

  it('a scheduled campaign starts, goes back to draft when its checks fail, or is cancelled', () => {
    assert.deepEqual(nextStatuses('scheduled').sort(), ['cancelled', 'draft', 'running']);
  });

  it('a running campaign is paused, stopped by the guard, finished or cancelled', () => {
    assert.deepEqual(nextStatuses('running').sort(), ['cancelled', 'finished', 'paused', 'stopped_by_guard']);
  });

  it('only a forced resume starts a campaign the circuit breaker stopped', () => {
    assert.equal(canMove('stopped_by_guard', 'resume'), false);
    assert.equal(canMove('stopped_by_guard', 'force_resume'), true);
    assert.equal(canMove('paused', 'resume'), true);
    assert.equal(canMove('paused', 'force_resume'), true);
  });

  it('finished and cancelled campaigns are final', () => {
    for (const status of ['finished', 'cancelled'] as const) assert.deepEqual(nextStatuses(status), []);
  });

  it('only running campaigns are paused, stopped or finished', () => {
    for (const event of ['pause', 'guard_stop', 'finish'] as CampaignEvent[]) {
      assert.deepEqual(
        ALL.filter((s) => canMove(s, event)),
        ['running'],
        event,
      );
    }
  });

  it('no move leads to the status it comes from', () => {
    for (const [event, move] of Object.entries(CAMPAIGN_MOVES)) assert.ok(!move.from.includes(move.to), event);
  });
});
