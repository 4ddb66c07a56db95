import { useEffect, useRef } from 'preact/hooks';
import type { ChatMessage } from './chat-session.js';

const VIA_LABEL = { history: 'history', recovered: 'recovered', live: '' } as const;

/** The room's messages, oldest first; history and recovered ones carry a visible mark. */
export function MessageList(props: { messages: readonly ChatMessage[] }) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [props.messages.length]);
  return (
    <ol class="messages" aria-label="Messages">
      {props.messages.length === 0 && <li class="muted">No messages yet. Say hello!</li>}
      {props.messages.map((m) => (
        <li key={m.key} class={`message${m.mine ? ' mine' : ''} via-${m.via}`}>
          <span class="author">
            {m.name}
            {m.mine ? ' (you)' : ''}
          </span>
          <span class="text">{m.text}</span>
          {m.via !== 'live' && <span class={`badge badge-${m.via}`}>{VIA_LABEL[m.via]}</span>}
        </li>
      ))}
      <li ref={end} class="end" aria-hidden="true" />
    </ol>
  );
}
