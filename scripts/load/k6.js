// Load test of Shoal's main read endpoints (make test-load, scripts/load/run.sh).
//
// Environment:
//   SHOAL_URL       base URL of a running server (default http://127.0.0.1:8080)
//   VUS, DURATION   virtual users and duration (default 20 and 30s)
//   P95_MS, P99_MS  latency thresholds in milliseconds (default 250 and 500)
//   SUMMARY_JSON    where to write k6's full summary as JSON (optional)
//
// Each iteration reads one of: the dashboard summary, a page of the table
// list (random sort, order and offset), one table's partitions, the
// warehouse or a table trend, and the catalogs with their health. The test
// fails when a threshold is crossed: P95 and P99 latency, more than 0.5% of
// requests failed, or a check failed.
import http from 'k6/http';
import { check, fail } from 'k6';

const BASE = (__ENV.SHOAL_URL || 'http://127.0.0.1:8080') + '/api/v1';
const P95 = Number(__ENV.P95_MS || 250);
const P99 = Number(__ENV.P99_MS || 500);

export const options = {
  scenarios: {
    reads: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS || 20),
      duration: __ENV.DURATION || '30s',
    },
  },
  thresholds: {
    http_req_duration: [`p(95)<${P95}`, `p(99)<${P99}`],
    http_req_failed: ['rate<0.005'],
    checks: ['rate>0.995'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  // The setup requests are not part of the measured load.
  setupTimeout: '60s',
};

const SORTS = ['name', 'files', 'bytes', 'small_files', 'small_ratio', 'reducible_files', 'avg_size', 'partitions'];

// setup reads the tables once so that iterations can pick real ones.
export function setup() {
  const res = http.get(`${BASE}/tables?limit=1000`, { tags: { name: 'setup' } });
  if (res.status !== 200) {
    fail(`GET /tables answered ${res.status}: ${res.body}`);
  }
  const tables = res.json('items').map((t) => ({ db: t.database, table: t.table, partitions: t.partitions }));
  if (tables.length === 0) {
    fail('the server has no tables: run a scan before the load test');
  }
  return { tables, total: res.json('total') };
}

function pick(a) {
  return a[Math.floor(Math.random() * a.length)];
}

function getJSON(url, name, validate) {
  const res = http.get(url, { tags: { name } });
  check(res, {
    [`${name}: status 200`]: (r) => r.status === 200,
    [`${name}: body`]: (r) => r.status === 200 && validate(r.json()),
  });
}

export default function (data) {
  const t = pick(data.tables);
  const path = `${encodeURIComponent(t.db)}/${encodeURIComponent(t.table)}`;
  switch (Math.floor(Math.random() * 6)) {
    case 0:
      getJSON(`${BASE}/summary`, 'summary', (b) => b.snapshot && b.totals.files > 0 && b.totals.histogram.length === 24);
      break;
    case 1: {
      const limit = pick([10, 25, 50]);
      const offset = Math.floor(Math.random() * Math.max(1, data.total));
      const order = pick(['asc', 'desc']);
      getJSON(`${BASE}/tables?limit=${limit}&offset=${offset}&sort=${pick(SORTS)}&order=${order}`, 'tables',
        (b) => b.total === data.total && b.items.length <= limit);
      break;
    }
    case 2:
      getJSON(`${BASE}/tables/${path}/partitions?limit=50&sort=${pick(['files', 'bytes', 'small_files', 'name'])}`,
        'table partitions', (b) => Array.isArray(b.items) && b.total === Math.max(1, t.partitions));
      break;
    case 3:
      getJSON(`${BASE}/trends`, 'warehouse trend', (b) => b.items.length >= 1);
      break;
    case 4:
      getJSON(`${BASE}/trends?database=${encodeURIComponent(t.db)}&table=${encodeURIComponent(t.table)}`,
        'table trend', (b) => b.database === t.db && b.items.length >= 1);
      break;
    default:
      getJSON(`${BASE}/catalogs`, 'catalogs', (b) => b.items.length >= 1 && b.items[0].healthy === true);
  }
}

function ms(v) {
  return `${v.toFixed(2)} ms`;
}

// handleSummary prints the figures the release report records.
export function handleSummary(data) {
  const m = data.metrics;
  const d = m.http_req_duration.values;
  const lines = [
    '',
    `requests:    ${m.http_reqs.values.count} in ${(data.state.testRunDurationMs / 1000).toFixed(1)} s`,
    `throughput:  ${m.http_reqs.values.rate.toFixed(1)} requests/s`,
    `latency:     avg ${ms(d.avg)}, median ${ms(d.med)}, p90 ${ms(d['p(90)'])}, p95 ${ms(d['p(95)'])}, p99 ${ms(d['p(99)'])}, max ${ms(d.max)}`,
    `failed:      ${(100 * m.http_req_failed.values.rate).toFixed(3)}% of requests (threshold < 0.5%)`,
    `checks:      ${(100 * m.checks.values.rate).toFixed(3)}% passed`,
    `thresholds:  p95 < ${P95} ms, p99 < ${P99} ms`,
  ];
  for (const [name, metric] of Object.entries(m)) {
    for (const [th, res] of Object.entries(metric.thresholds || {})) {
      lines.push(`  ${res.ok ? 'ok    ' : 'FAILED'} ${name} ${th}`);
    }
  }
  const out = { stdout: lines.join('\n') + '\n' };
  if (__ENV.SUMMARY_JSON) {
    out[__ENV.SUMMARY_JSON] = JSON.stringify(data, null, 2);
  }
  return out;
}
