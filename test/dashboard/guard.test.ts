import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { dashboardGuard } from '../../src/dashboard/guard.js';

const TOKEN = 'a'.repeat(43);
const guard = dashboardGuard({ token: TOKEN, port: 8080, hostNames: ['127.0.0.1'] });
const request = (url: string, headers: Record<string, string> = {}) =>
  ({ url, method: 'GET', headers: { host: '127.0.0.1:8080', ...headers } }) as unknown as IncomingMessage;

describe('dashboardGuard', () => {
  it("the address's token wins over a stale one a tab still sends (a new run on the same port)", () => {
    expect(guard.check(request(`/?token=${TOKEN}`, { 'x-rxgrad-token': 'b'.repeat(43) })).status).toBe(200);
    expect(guard.check(request(`/?token=${'b'.repeat(43)}`, { 'x-rxgrad-token': TOKEN })).status).toBe(403);
    expect(guard.check(request('/body', { 'x-rxgrad-token': TOKEN })).status).toBe(200);
    expect(guard.check(request('/body', { cookie: `rxgrad-dashboard-8080=${TOKEN}` }))).toMatchObject({ status: 403, tokenless: true });
  });
});
