import { BABYSIT_CONTROLS } from '../training/babysitControls.js';
import { escapeHtml } from './format.js';

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #1d2733; }
h1 { font-size: 1.4rem; margin-bottom: 4px; } h2 { font-size: 1.05rem; margin: 0 0 8px; }
.summary { color: #3c4a5a; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { margin: 0; padding: 8px; border: 1px solid #e1e6ec; border-radius: 6px; background: #fff; }
figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 4px; }
.caption { font-size: 0.8rem; color: #5b6877; max-width: 640px; margin: 4px 0 0; }
.tables { display: flex; flex-wrap: wrap; gap: 24px; margin-top: 20px; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e1e6ec; }
.controls { display: flex; gap: 8px; align-items: center; margin: 12px 0; flex-wrap: wrap; }
.controls button { padding: 4px 12px; }
#status { font-size: 0.85rem; color: #3c4a5a; }
`;

/** The mark every page rxgrad writes carries in its head: how a later write knows a report of its own. */
export const GENERATOR_META = '<meta name="generator" content="rxgrad">';

/** What a static report may load: its inline styles and images, and no script at all. */
const REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * The page a dashboard serves to a request without its token (a reload, once the page has taken
 * the token out of the address): it finds the token this tab kept and comes back with it, or
 * says where to get it. It shows nothing of the run.
 *
 * @example
 * const html = dashboardEntryPage(nonce);
 */
export function dashboardEntryPage(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${GENERATOR_META}<title>rxgrad dashboard</title><style>${STYLE}</style></head>
<body><p id="status">this dashboard needs its token: open the address rxgrad printed (…/?token=…)</p><script nonce="${nonce}">
const token = sessionStorage.getItem('rxgrad-token');
if (token) location.replace('/?token=' + encodeURIComponent(token));
</script></body></html>
`;
}

/**
 * A whole, self-contained HTML page: inline style, inline SVG, no request to anywhere, and a
 * Content-Security-Policy that lets no script run. `live` adds what the dashboard needs (a status
 * line, and a script, carrying the response's CSP `nonce`, that reloads the body on each server
 * event); `controls` the babysit buttons.
 *
 * @example
 * const html = reportPage('Study studies/digits', body);
 */
export function reportPage(title: string, body: string, live?: { readonly controls: boolean; readonly nonce: string }): string {
  const controls = live?.controls
    ? `<div class="controls" id="controls">${BABYSIT_CONTROLS.map((c) =>
        c.argument
          ? `<label>${escapeHtml(c.argument.label)} <input id="argument-${c.type}" size="8"></label><button data-control="${c.type}" data-field="${c.argument.field}">${escapeHtml(c.button)}</button>`
          : `<button data-control="${c.type}">${escapeHtml(c.button)}</button>`,
      ).join('\n')}</div>`
    : '';
  const script = live
    ? `<script nonce="${live.nonce}">
const body = document.getElementById('report');
const status = document.getElementById('status');
// The token came in the address; it stays in this tab's sessionStorage (its origin's, port
// included) and goes out as a header, never in a cookie, which the browser would send to every
// port of this host. The address bar is left without it.
const given = new URLSearchParams(location.search).get('token');
if (given) { sessionStorage.setItem('rxgrad-token', given); history.replaceState(null, '', '/'); }
const token = given ?? sessionStorage.getItem('rxgrad-token') ?? '';
const headers = { 'x-rxgrad-token': token };
async function refresh() { const r = await fetch('/body', { headers }); body.innerHTML = await r.text(); }
const events = new EventSource('/events?token=' + encodeURIComponent(token));
events.addEventListener('update', (e) => { status.textContent = e.data; refresh(); });
// The end's message says where the results are. The server stops once every page has fetched the
// final state and closed its event stream (or after a few seconds).
events.addEventListener('end', (e) => {
  status.textContent = e.data;
  refresh().catch(() => { status.textContent = e.data + ' (the dashboard has stopped: this page shows the last state it fetched)'; }).finally(() => events.close());
});
for (const button of document.querySelectorAll('[data-control]')) button.addEventListener('click', async () => {
  const type = button.dataset.control;
  const control = { type };
  // As typed: the server reads the number (decimals only).
  if (button.dataset.field) control[button.dataset.field] = document.getElementById('argument-' + type).value;
  const r = await fetch('/control', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(control) });
  status.textContent = await r.text();
});
</script>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${GENERATOR_META}<meta name="viewport" content="width=device-width, initial-scale=1">${live ? '' : `<meta http-equiv="Content-Security-Policy" content="${REPORT_POLICY}">`}<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${live ? '<p id="status">connecting…</p>' : ''}${controls}<main id="report">${body}</main>${script}</body></html>
`;
}
