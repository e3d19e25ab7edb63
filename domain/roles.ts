// Staff roles. Tenants never hold an account: they act through signed links.
export const ROLES = ['analyst', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

// What each role may do is decided here once; tRPC middleware and workflows both ask this.
const RANK: Record<Role, number> = { analyst: 1, approver: 2, admin: 3 };

/** True when `role` is at least as strong as `required` (admin > approver > analyst). */
export function roleAllows(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}
