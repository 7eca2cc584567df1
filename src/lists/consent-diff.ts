import { diffWordsWithSpace } from 'diff';

/** One stretch of a wording change: kept, added or removed words. */
export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** What changed from one consent text to the next, word by word (jsdiff's word diff, spaces kept exactly). */
export function consentDiff(before: string, after: string): DiffPart[] {
  return diffWordsWithSpace(before, after).map((part) => ({
    kind: part.added ? 'added' : part.removed ? 'removed' : 'same',
    text: part.value,
  }));
}
