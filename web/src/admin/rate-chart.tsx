/** A small line of the last rates (oldest left), scaled to its own maximum. */
export function RateChart(props: { values: readonly number[]; label: string }) {
  const max = Math.max(1, ...props.values);
  const n = props.values.length;
  const points = props.values.map((v, i) => `${n < 2 ? 0 : (i / (n - 1)) * 100},${46 - (v / max) * 44}`).join(' ');
  return (
    <svg class="spark" viewBox="0 0 100 48" preserveAspectRatio="none" role="img" aria-label={`${props.label}: last ${n} samples, peak ${Math.round(max)}/s`}>
      <polyline points={points} fill="none" stroke="#1f5fbf" stroke-width="1.5" vector-effect="non-scaling-stroke" />
    </svg>
  );
}
