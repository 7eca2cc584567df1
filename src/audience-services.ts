import { createAudiences, type Audiences } from './campaigns/audience.js';
import type { Database } from './db/database.js';
import type { ListsService } from './lists/lists.service.js';
import { createAttributesService, type AttributesService } from './segments/attributes.service.js';
import { createSegmentsService, type SegmentsService } from './segments/segments.service.js';
import type { Clock } from './shared/clock.js';

/** Part of the composition root: segments, the attributes they read, and campaigns' audiences. */
export function createAudienceServices(deps: { database: Database; lists: ListsService; clock: Clock }): {
  segments: SegmentsService;
  attributes: AttributesService;
  audiences: Audiences;
} {
  const segments = createSegmentsService(deps);
  return {
    segments,
    attributes: createAttributesService(deps),
    audiences: createAudiences({ lists: deps.lists, segments }),
  };
}
