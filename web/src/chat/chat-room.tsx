import { useEffect, useState } from 'preact/hooks';
import type { ChatSession } from './chat-session.js';
import { ConnectionStatus } from './connection-status.js';
import { MessageForm } from './message-form.js';
import { MessageList } from './message-list.js';
import { PresenceList } from './presence-list.js';

function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, 3).join(', ')} are typing…`;
}

/** A joined room: status, messages, who is here, typing, the message field. */
export function ChatRoom(props: { session: ChatSession; room: string; encoding: string; onLeave: () => void }) {
  const [snap, setSnap] = useState(props.session.current);
  useEffect(() => props.session.subscribe(setSnap), [props.session]);
  return (
    <main class="room">
      <header class="room-head">
        <h1>
          Room <code>chat:{props.room}</code>
        </h1>
        <button type="button" class="secondary" onClick={props.onLeave}>
          Leave
        </button>
      </header>
      <ConnectionStatus connection={snap.connection} encoding={props.encoding} />
      <div class="room-body">
        <section class="conversation" aria-label="Conversation">
          <MessageList messages={snap.messages} />
          <p class="typing" aria-live="polite">
            {typingText(snap.typing)}
          </p>
          <MessageForm onSend={(t) => props.session.send(t)} onTyping={() => props.session.typed()} />
        </section>
        <aside>
          <PresenceList members={snap.members} />
          <section class="notices" aria-labelledby="events-title">
            <h2 id="events-title">Room events</h2>
            <ul aria-label="Room events">
              {snap.notices.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </main>
  );
}
