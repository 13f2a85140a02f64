// examples/grafana/docktor-dashboard.json: every PromQL query in it names only metrics docktor
// serves (src/metrics/docktor-metrics.ts), so a renamed metric cannot leave an empty panel. The
// e2e test (test/integration/events-metrics.test.ts) runs the same queries on a real Prometheus.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { DOCKTOR_METRIC_NAMES } from '../../src/metrics/docktor-metrics';
import { DASHBOARD, dashboardQueries, metricNames } from '../harness/grafana';

describe('Grafana dashboard', () => {
  const queries = dashboardQueries(JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')));

  it('has the panels the issue asks for and queries in each', () => {
    const d = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: unknown[] }> };
    for (const title of ['Replicas vs desired', 'Backlog', 'Oldest message age vs SLA', 'Decisions']) {
      assert.ok(d.panels.some((p) => p.title === title && p.targets.length > 0), `a panel "${title}"`);
    }
  });

  it('every query names only metrics docktor serves', () => {
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    const known = new Set<string>(DOCKTOR_METRIC_NAMES);
    for (const q of queries) {
      const names = metricNames(q);
      assert.ok(names.length > 0, `no metric found in ${q}`);
      for (const n of names) assert.ok(known.has(n), `${n} (in ${q}) is not a metric docktor serves`);
    }
  });

  it('the check catches a wrong name (it can fail)', () => {
    assert.deepEqual(metricNames('max by (project, service) (docktor_replica{service=~"$service"})'), ['docktor_replica']);
    assert.deepEqual(metricNames('sum by (service, action) (increase(docktor_decisions_total{metric="queue.backlog"}[$__rate_interval]))'), ['docktor_decisions_total']);
    assert.deepEqual(metricNames('label_values(docktor_replicas{project=~"$project"}, service)'), ['docktor_replicas']);
    assert.deepEqual(metricNames('max by (project) (docktor_replicas) / on (service) group_left docktor_nope'), ['docktor_replicas', 'docktor_nope']);
  });
});
