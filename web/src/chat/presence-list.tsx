import type { Member } from './chat-session.js';

/** Who is in the room now (presence, kept current by join/leave). */
export function PresenceList(props: { members: readonly Member[] }) {
  return (
    <section class="presence" aria-labelledby="presence-title">
      <h2 id="presence-title">Here now ({props.members.length})</h2>
      <ul aria-label="People in this room">
        {props.members.map((m) => (
          <li key={m.client}>
            {m.name}
            {m.mine ? ' (you)' : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
