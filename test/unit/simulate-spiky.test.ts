// The spiky on/off trace generator (src/simulate/spiky.ts): seeded determinism and the shape the
// issue asks for (bursts of 5–20x the mean for 30–120 s, gaps of 1–10 min, optional spikes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spikyTrace } from '../../src/simulate/spiky';

describe('spiky trace generator', () => {
  it('the same seed gives the same trace; another seed another one', () => {
    const a = spikyTrace({ seed: 7, span: 3600, meanRate: 5, spikesPerHour: 30 });
    const b = spikyTrace({ seed: 7, span: 3600, meanRate: 5, spikesPerHour: 30 });
    const c = spikyTrace({ seed: 8, span: 3600, meanRate: 5, spikesPerHour: 30 });
    assert.deepEqual(Array.from(a.trace.counts), Array.from(b.trace.counts));
    assert.deepEqual(a.bursts, b.bursts);
    assert.deepEqual(a.spikes, b.spikes);
    assert.notDeepEqual(Array.from(a.trace.counts), Array.from(c.trace.counts));
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: bursts of 5–20x the mean for 30–120 s, gaps of 1–10 min near zero, the mean kept`, () => {
      const mean = 5;
      const { trace, bursts } = spikyTrace({ seed, span: 7200, meanRate: mean });
      assert.equal(trace.span, 7200);
      assert.equal(trace.counts.length, 7200);
      assert.ok(bursts.length >= 2);
      let end = 0;
      for (const x of bursts) {
        assert.ok(x.seconds >= 30 && x.seconds <= 120, `burst of ${x.seconds} s`);
        assert.ok(x.factor >= 5 - 1e-9 && x.factor <= 20 + 1e-9, `factor ${x.factor}`);
        const gap = x.start - end;
        assert.ok(gap >= 60 && gap <= 600, `gap of ${gap} s`);
        end = x.start + x.seconds;
        // Inside a burst, Poisson counts around factor × mean.
        let n = 0;
        for (let s = x.start; s < end; s++) n += trace.counts[s]!;
        const expected = x.factor * mean * x.seconds;
        assert.ok(Math.abs(n - expected) < 5 * Math.sqrt(expected), `burst at ${x.start}: ${n} arrivals, ${expected} expected`);
      }
      // Gaps at 1% of the mean: near zero.
      let gapArrivals = 0;
      let gapSeconds = 0;
      for (let s = 0; s < trace.span; s++) {
        if (bursts.some((x) => s >= x.start && s < x.start + x.seconds)) continue;
        gapArrivals += trace.counts[s]!;
        gapSeconds++;
      }
      assert.ok(gapArrivals / gapSeconds < 0.03 * mean, `gap rate ${gapArrivals / gapSeconds}`);
      // The whole averages the mean (Poisson noise only).
      const total = mean * trace.span;
      assert.ok(Math.abs(trace.total - total) < 5 * Math.sqrt(total), `${trace.total} arrivals for ${total}`);
    });
  }

  it('one-second spikes add their share of arrivals in a single second', () => {
    const { trace, spikes } = spikyTrace({ seed: 3, span: 3600, meanRate: 5, spikesPerHour: 30, spikeFactor: [40, 40] });
    assert.equal(spikes.length, 30);
    for (const s of spikes) assert.ok(trace.counts[s]! >= 40 * 5 - 5 * Math.sqrt(200), `spike at ${s}: ${trace.counts[s]}`);
  });

  it('refuses a span with no room for a burst and a gap', () => {
    assert.throws(() => spikyTrace({ seed: 1, span: 50, meanRate: 5 }), /no layout/);
  });
});
