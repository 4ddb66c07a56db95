/**
 * An HDR histogram of latencies recorded in microseconds and reported in milliseconds, which can
 * be serialised (compressed base64) to travel between load-test processes and merged.
 */

import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** Percentiles of one latency distribution, milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export class LatencyHistogram {
  private readonly histogram: Histogram;

  constructor(histogram?: Histogram) {
    this.histogram = histogram ?? build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, autoResize: true });
  }

  static decode(encoded: string): LatencyHistogram {
    const histogram = decodeFromCompressedBase64(encoded, 32);
    // Decoding drops the flag; without it adding a wider histogram throws.
    histogram.autoResize = true;
    return new LatencyHistogram(histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Records one latency in milliseconds (fractions kept to the microsecond; negatives count as 0). */
  recordMs(ms: number): void {
    this.histogram.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
  }

  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  encode(): string {
    return encodeIntoCompressedBase64(this.histogram);
  }

  /** Value at `percentile` (0-100), milliseconds; 0 when empty. */
  percentileMs(percentile: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    return {
      count: this.count,
      mean: this.histogram.mean / 1000,
      p50: this.percentileMs(50),
      p95: this.percentileMs(95),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: this.histogram.maxValue / 1000,
    };
  }
}
