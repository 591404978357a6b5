import { describe, expect, it } from 'vitest';
import { matchRoute, mergeHref, tableHref, withQuery } from './router';

describe('router', () => {
  it('matches the routes', () => {
    expect(matchRoute('/')).toEqual({ name: 'overview' });
    expect(matchRoute('/tables')).toEqual({ name: 'tables' });
    expect(matchRoute('/tables/')).toEqual({ name: 'tables' });
    expect(matchRoute('/tables/sales/orders')).toEqual({ name: 'table', database: 'sales', table: 'orders' });
    expect(matchRoute(tableHref('my db', 'a/b%'))).toEqual({ name: 'table', database: 'my db', table: 'a/b%' });
    expect(matchRoute('/tables/%E0%A4%A/x')).toMatchObject({ name: 'notFound' });
    expect(matchRoute('/nope')).toEqual({ name: 'notFound', path: '/nope' });
  });

  it('matches the merge routes', () => {
    expect(matchRoute('/merges')).toEqual({ name: 'merges' });
    expect(matchRoute('/merges/')).toEqual({ name: 'merges' });
    expect(matchRoute(mergeHref(42))).toEqual({ name: 'merge', id: 42 });
    expect(mergeHref(42)).toBe('/merges/42');
    expect(matchRoute('/merges/0')).toMatchObject({ name: 'notFound' });
    expect(matchRoute('/merges/abc')).toMatchObject({ name: 'notFound' });
    expect(matchRoute('/candidates')).toEqual({ name: 'candidates' });
    expect(matchRoute('/policies')).toEqual({ name: 'policies' });
    expect(matchRoute('/audit')).toEqual({ name: 'audit' });
  });

  it('sets and removes query parameters', () => {
    const q = new URLSearchParams('sort=files&offset=100&search=x');
    expect(withQuery('/tables', q, { offset: undefined, order: 'asc' })).toBe('/tables?sort=files&search=x&order=asc');
    expect(withQuery('/tables', q, { sort: '', offset: null, search: false })).toBe('/tables');
    expect(q.toString()).toBe('sort=files&offset=100&search=x');
  });
});
