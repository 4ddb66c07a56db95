import type { Connection } from './chat-session.js';

function describe(c: Connection): string {
  switch (c.kind) {
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting':
      return c.attempt === 0
        ? `Connection lost${c.reason !== '' ? ` (${c.reason})` : ''}; reconnecting…`
        : `Reconnecting: attempt ${c.attempt} after ${(c.delayMs / 1000).toFixed(1)} s`;
    case 'disconnected':
      return `Disconnected: ${c.reason}`;
  }
}

/** The connection state, announced politely to screen readers. */
export function ConnectionStatus(props: { connection: Connection; encoding: string }) {
  return (
    <p class={`status status-${props.connection.kind}`} role="status" aria-live="polite">
      <span class="dot" aria-hidden="true" />
      {describe(props.connection)} <span class="muted">· {props.encoding}</span>
    </p>
  );
}
