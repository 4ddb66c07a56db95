/** A small line of the last rates (oldest left), scaled to its own maximum. */
export function RateChart(props: { values: readonly number[]; label: string }) {
  const max = Math.max(1, ...props.values);
  const n = props.values.length;
  const y = (v: number) => 46 - (v / max) * 44;
  const points =
    n === 1
      ? `0,${y(props.values[0]!)} 100,${y(props.values[0]!)}`
      : props.values.map((v, i) => `${(i / (n - 1)) * 100},${y(v)}`).join(' ');
  return (
    <svg
      class="spark"
      viewBox="0 0 100 48"
      preserveAspectRatio="none"
      role="img"
      aria-label={`${props.label}: last ${n} samples, peak ${Math.round(max)}/s`}
    >
      <polyline points={points} fill="none" stroke="#1f5fbf" stroke-width="1.5" vector-effect="non-scaling-stroke" />
    </svg>
  );
}
