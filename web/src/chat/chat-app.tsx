import { useEffect, useState } from 'preact/hooks';
import { ChatRoom } from './chat-room.js';
import { ChatSession } from './chat-session.js';
import { fetchDemoConfig, fetchDevToken, type DemoConfig } from './demo-auth.js';
import { JoinForm, type JoinChoice } from './join-form.js';

/** Query parameters prefill the form (`?name=Ann&room=lobby&encoding=protobuf`). */
function initialChoice(): Partial<JoinChoice> {
  const q = new URLSearchParams(location.search);
  const out: Partial<JoinChoice> = {};
  const name = q.get('name');
  const room = q.get('room');
  if (name !== null) out.name = name;
  if (room !== null) out.room = room;
  if (q.get('encoding') === 'protobuf') out.encoding = 'protobuf';
  return out;
}

export function ChatApp() {
  const [demo, setDemo] = useState<DemoConfig | null>(null);
  const auth = demo?.auth ?? null;
  const [joined, setJoined] = useState<{ session: ChatSession; choice: JoinChoice } | null>(null);
  useEffect(() => {
    fetchDemoConfig().then(setDemo, () => setDemo({ auth: 'anonymous', signals: 'chat:{room}:signals' }));
  }, []);

  const join = (choice: JoinChoice) => {
    const getToken =
      auth === 'dev-tokens'
        ? () => fetchDevToken(choice.name)
        : auth === 'token-required'
          ? () => Promise.resolve(choice.token)
          : undefined;
    const session = new ChatSession({
      name: choice.name,
      room: choice.room,
      encoding: choice.encoding,
      signalsChannel: (demo?.signals ?? 'chat:{room}:signals').replace('{room}', choice.room),
      ...(getToken !== undefined ? { getToken } : {}),
    });
    setJoined({ session, choice });
  };
  const leave = () => {
    if (joined !== null) void joined.session.close();
    setJoined(null);
  };

  if (demo === null || auth === null)
    return (
      <p class="status" role="status">
        Loading…
      </p>
    );
  if (joined === null)
    return (
      <div class="page">
        <JoinForm auth={auth} initial={initialChoice()} onJoin={join} />
      </div>
    );
  return (
    <div class="page">
      <ChatRoom
        session={joined.session}
        room={joined.choice.room}
        encoding={joined.choice.encoding === 'json' ? 'JSON' : 'Protobuf'}
        onLeave={leave}
      />
    </div>
  );
}
