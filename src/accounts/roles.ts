import type { UserRole } from '../db/schema.js';

/** Viewer reads; editor also edits lists, imports and sends; owner also manages users, settings, keys and erasure. */
const RANK: Readonly<Record<UserRole, number>> = { viewer: 1, editor: 2, owner: 3 };

export const ROLES = Object.keys(RANK) as UserRole[];

export function isRole(value: unknown): value is UserRole {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/** True when `role` may do what `needed` may. */
export function allows(role: UserRole, needed: UserRole): boolean {
  return RANK[role] >= RANK[needed];
}
