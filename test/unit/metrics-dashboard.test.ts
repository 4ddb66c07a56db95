import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { GatewayMetrics, WorkerMetrics, collectProcessMetrics } from '../../src/metrics/index.js';

// The Grafana dashboard is valid JSON, every series it queries is a metric the code defines
// (or one of Node's default process metrics), and every gateway_/worker_ metric has a panel.

const dashboardUrl = new URL('../../deploy/grafana/dashboard.json', import.meta.url);

interface Target {
  expr?: string;
}
interface Panel {
  type: string;
  title?: string;
  targets?: Target[];
  panels?: Panel[];
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names an expression selects: identifiers that are neither functions, keywords nor labels. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/(?<![\w:])\d[\d.]*(?:e[+-]?\d+)?/gi, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const word = m[0];
    const after = stripped.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(after) || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return names;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

async function definedSeries(): Promise<{ series: Set<string>; own: string[] }> {
  const registry = new Registry();
  new GatewayMetrics(registry);
  new WorkerMetrics(registry);
  const own = (await registry.getMetricsAsJSON()).map((m) => m.name);
  collectProcessMetrics(registry);
  const series = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    series.add(metric.name);
    if (String(metric.type) === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) series.add(metric.name + suffix);
    }
  }
  return { series, own };
}

const dashboard = JSON.parse(readFileSync(dashboardUrl, 'utf8')) as Dashboard;
const panels = allPanels(dashboard.panels);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));

void test('metricNames finds selectors and ignores functions, labels and ranges', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (method, le) (rate(gateway_command_duration_seconds_bucket{instance=~"$gateway", x="a_b"}[$__rate_interval]))) / clamp_min(sum(up), 1e-9)',
    ),
    ['gateway_command_duration_seconds_bucket', 'up'],
  );
});

void test('dashboard is a Grafana dashboard with a Prometheus datasource variable', () => {
  assert.equal(dashboard.uid, 'realtime-message');
  assert.ok(dashboard.title.length > 0);
  assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource'));
  const queryPanels = panels.filter((p) => p.type !== 'row');
  assert.ok(queryPanels.length >= 20, `${queryPanels.length} panels`);
  for (const p of queryPanels) {
    assert.ok((p.targets ?? []).length > 0, `panel ${p.title} has a query`);
    assert.equal(p.datasource?.uid, '${datasource}', `panel ${p.title} uses the datasource variable`);
  }
});

void test('every metric the dashboard queries is defined in src/metrics', async () => {
  const { series } = await definedSeries();
  const unknown = new Set<string>();
  for (const expr of exprs) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `expression selects a metric: ${expr}`);
    for (const name of names) if (!series.has(name)) unknown.add(name);
  }
  assert.deepEqual([...unknown], []);
});

void test('every gateway and worker metric has a panel', async () => {
  const { own } = await definedSeries();
  const used = new Set(exprs.flatMap(metricNames).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
  assert.deepEqual(
    own.filter((name) => !used.has(name)),
    [],
  );
});
