// The pure model of `docktor tune --prometheus` (src/recording/prometheus-traffic-model.ts) on
// constructed query_range answers: rates → arrivals, Little's law, start-up delay, gaps, no
// rate_in → not counted; the range split under Prometheus's points limit; the API URL and auth.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMatrix, MAX_POINTS_PER_QUERY, prometheusTrafficModel, rangeChunks, type SeriesByMetric } from '../../src/recording/prometheus-traffic-model';
import { trafficQuery } from '../../src/recording/prometheus-traffic';
import { prometheusApiUrl, prometheusHeaders } from '../../src/sources/external/prometheus-http';

const T0 = 1_700_000_000;

/** A query_range answer: one series per metric, values at T0 + i * step. */
function matrix(step: number, byMetric: Record<string, Array<number | null>>): unknown {
  return {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: Object.entries(byMetric).map(([metric, vs]) => ({
        metric: { metric },
        values: vs.flatMap((v, i) => (v === null ? [] : [[T0 + i * step, String(v)]])),
      })),
    },
  };
}

function model(step: number, byMetric: Record<string, Array<number | null>>) {
  const series: SeriesByMetric = new Map();
  assert.equal(addMatrix(series, matrix(step, byMetric)), null);
  return prometheusTrafficModel(series, step);
}

describe('prometheus traffic model', () => {
  it('turns rate_in into arrivals per step and measures the service time by Little\'s law', () => {
    // 10 s steps; 2/s then 5/s arriving; 1.5 in service at 2 completions/s: 0.75 s a job.
    const rateIn = [2, 2, 2, 5, 5, 5, 5];
    const m = model(10, {
      'queue.rate_in': rateIn,
      'queue.rate_out': [2, 2, 2, 2, 2, 2, 2],
      'queue.ack_pending': [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
      'replicas.ready': [1, 1, 1, 1, 1, 1, 1],
    })!;
    assert.ok(m);
    assert.equal(m.counted, true);
    assert.equal(m.trace.kind, 'counts');
    assert.deepEqual([...m.trace.counts!], [20, 20, 50, 50, 50, 50]);
    assert.equal(m.trace.total, 240);
    assert.equal(m.trace.span, 60);
    assert.equal(m.from, T0);
    assert.equal(m.to, T0 + 60);
    assert.ok(Math.abs(m.service_time_s! - 0.75) < 1e-9, String(m.service_time_s));
    assert.equal(m.startup_delay_s, null);
  });

  it('leaves steps without completions out of Little\'s law, and says null below 10 completions', () => {
    // Jobs stuck in service (3, none completing) while nothing completes are not service time;
    // the last two stretches complete 1/s with 0.5 in service.
    const m = model(10, { 'queue.rate_in': [1, 1, 1, 1, 1], 'queue.rate_out': [0, 0, 0, 1, 1], 'queue.ack_pending': [3, 3, 0.5, 0.5, 0.5] })!;
    assert.equal(m.service_time_s, 0.5);
    const few = model(1, { 'queue.rate_in': [1, 1, 1], 'queue.rate_out': [1, 1, 1], 'queue.ack_pending': [1, 1, 1] })!;
    assert.equal(few.service_time_s, null);
  });

  it('without queue.rate_in the arrivals are estimates: not counted', () => {
    const m = model(10, { 'queue.backlog': [0, 10, 30, 30], 'queue.ack_pending': [0, 0, 0, 0], 'queue.rate_out': [0, 0, 0, 1] })!;
    assert.equal(m.counted, false);
    assert.deepEqual([...m.trace.counts!], [10, 20, 10]);
  });

  it('a stretch without points is a gap: no arrivals, and not held against the counted share', () => {
    const m = model(10, { 'queue.rate_in': [1, 1, null, null, null, null, 1, 1] })!;
    assert.equal(m.counted, true);
    assert.equal(m.gap_s, 50);
    assert.equal(m.trace.total, 20);
  });

  it('measures the start-up delay from the target rising to the ready replicas reaching it', () => {
    const m = model(10, {
      'queue.rate_in': [1, 1, 1, 1, 1, 1, 1, 1],
      desired: [1, 1, 3, 3, 3, 3, 3, 3],
      'replicas.ready': [1, 1, 1, 2, 2, 3, 3, 3],
    })!;
    // Decided between 10 and 20 s (15), ready between 40 and 50 s (45): 30 s.
    assert.equal(m.startup_delay_s, 30);
  });

  it('needs two points', () => {
    assert.equal(model(10, { 'queue.rate_in': [1] }), null);
    assert.equal(model(10, {}), null);
  });

  it('refuses an answer that is not a matrix', () => {
    assert.match(addMatrix(new Map(), { status: 'success', data: { resultType: 'vector', result: [] } }) ?? '', /not a range query's matrix/);
    assert.match(addMatrix(new Map(), { status: 'error', error: 'x' }) ?? '', /not a range query's matrix/);
  });

  it('splits a range into queries of at most MAX_POINTS_PER_QUERY points, covering it without overlap', () => {
    const week = 7 * 86400;
    const chunks = rangeChunks(T0, T0 + week, 10);
    assert.equal(chunks.length, Math.ceil((week / 10 + 1) / MAX_POINTS_PER_QUERY));
    let points = 0;
    for (const [i, [s, e]] of chunks.entries()) {
      const n = Math.round((e - s) / 10) + 1;
      assert.ok(n <= MAX_POINTS_PER_QUERY, `${n} points`);
      if (i > 0) assert.equal(s, chunks[i - 1]![1] + 10);
      points += n;
    }
    assert.equal(points, week / 10 + 1);
    assert.equal(chunks.at(-1)![1], T0 + week);
    assert.deepEqual(rangeChunks(T0, T0 + 300, 0.5), [[T0, T0 + 300]]);
  });

  it('queries one series per metric for the service, quoted', () => {
    const q = trafficQuery('shop', 'wor"ker');
    assert.match(q, /^max by \(metric\) \(docktor_observation\{project="shop",service="wor\\"ker",metric=~"queue\.rate_in\|/);
    assert.match(q, /label_replace\(max\(docktor_desired_replicas\{project="shop",service="wor\\"ker"\}\), "metric", "desired", "", ""\)/);
  });

  it('takes the API under the base URL, credentials out of it and into basic auth', () => {
    assert.equal(prometheusApiUrl('http://u:p@h:9090', 'query_range').href, 'http://h:9090/api/v1/query_range');
    assert.equal(prometheusApiUrl('http://h:9090/prom/', 'query').href, 'http://h:9090/prom/api/v1/query');
    assert.equal(prometheusApiUrl('http://h:9090/api/v1/query', 'query_range').href, 'http://h:9090/api/v1/query_range');
    assert.equal(prometheusHeaders('http://us%40r:p%3Ass@h:9090', {}).authorization, `Basic ${Buffer.from('us@r:p:ss').toString('base64')}`);
    assert.equal(prometheusHeaders('http://h:9090', { token: 't0k' }).authorization, 'Bearer t0k');
    assert.equal(prometheusHeaders('http://h:9090', {}).authorization, undefined);
    // A configured user wins over the URL's.
    assert.equal(prometheusHeaders('http://a:b@h:9090', { username: 'c', password: 'd' }).authorization, `Basic ${Buffer.from('c:d').toString('base64')}`);
  });
});
