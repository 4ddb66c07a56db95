/**
 * Tag filters of subscriptions (SubscribeRequest.tf, namespace option `allow_tags_filter`): which
 * publications reach a subscriber, judged on the publication's tags. A bandwidth saving, not
 * access control: the subscriber may read the whole channel anyway.
 */

import type { FilterNode } from '../protocol/index.js';

/** Nodes in one filter, counted over the whole tree, and values in one `in`/`nin` list. */
const maxNodes = 64;
const maxValues = 128;

const LEAF_CMPS = new Set(['eq', 'neq', 'in', 'nin', 'ex', 'nex', 'sw', 'ew', 'ct', 'lt', 'lte', 'gt', 'gte']);

/** Why `filter` cannot be used, or null when it is well formed. */
export function validateTagsFilter(filter: FilterNode): string | null {
  let nodes = 0;
  const check = (n: FilterNode): string | null => {
    if (++nodes > maxNodes) return `tags filter has more than ${maxNodes} nodes`;
    const op = n.op ?? '';
    if (op === '') {
      const cmp = n.cmp ?? '';
      if (!LEAF_CMPS.has(cmp)) return `tags filter: unknown comparison "${cmp.slice(0, 16)}"`;
      if ((n.key ?? '') === '') return 'tags filter: a comparison needs a key';
      if ((n.vals?.length ?? 0) > maxValues) return `tags filter: more than ${maxValues} values`;
      if ((cmp === 'in' || cmp === 'nin') && (n.vals?.length ?? 0) === 0) return `tags filter: "${cmp}" needs vals`;
      return null;
    }
    if (op !== 'and' && op !== 'or' && op !== 'not') return `tags filter: unknown operator "${op.slice(0, 16)}"`;
    const children = n.nodes ?? [];
    if (children.length === 0) return `tags filter: "${op}" needs nodes`;
    if (op === 'not' && children.length !== 1) return 'tags filter: "not" takes exactly one node';
    for (const c of children) {
      const problem = check(c);
      if (problem !== null) return problem;
    }
    return null;
  };
  return check(filter);
}

function numeric(a: string, b: string, test: (x: number, y: number) => boolean): boolean {
  const x = Number(a);
  const y = Number(b);
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y) && test(x, y);
}

function leaf(n: FilterNode, tags: Readonly<Record<string, string>>): boolean {
  const key = n.key ?? '';
  const present = Object.hasOwn(tags, key);
  const value = present ? (tags[key] as string) : undefined;
  const val = n.val ?? '';
  switch (n.cmp) {
    case 'ex':
      return present;
    case 'nex':
      return !present;
    case 'eq':
      return value === val;
    case 'neq':
      return value !== val;
    case 'in':
      return value !== undefined && (n.vals ?? []).includes(value);
    case 'nin':
      return value === undefined || !(n.vals ?? []).includes(value);
    case 'sw':
      return value !== undefined && value.startsWith(val);
    case 'ew':
      return value !== undefined && value.endsWith(val);
    case 'ct':
      return value !== undefined && value.includes(val);
    case 'lt':
      return value !== undefined && numeric(value, val, (x, y) => x < y);
    case 'lte':
      return value !== undefined && numeric(value, val, (x, y) => x <= y);
    case 'gt':
      return value !== undefined && numeric(value, val, (x, y) => x > y);
    case 'gte':
      return value !== undefined && numeric(value, val, (x, y) => x >= y);
    default:
      return false;
  }
}

/** Whether a publication with these tags passes a validated filter. */
export function matchesTagsFilter(filter: FilterNode, tags: Readonly<Record<string, string>> | undefined): boolean {
  const t = tags ?? {};
  const op = filter.op ?? '';
  const nodes = filter.nodes ?? [];
  switch (op) {
    case '':
      return leaf(filter, t);
    case 'and':
      return nodes.every((n) => matchesTagsFilter(n, t));
    case 'or':
      return nodes.some((n) => matchesTagsFilter(n, t));
    case 'not':
      return nodes[0] !== undefined && !matchesTagsFilter(nodes[0], t);
    default:
      return false;
  }
}
