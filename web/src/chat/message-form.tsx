import { useEffect, useRef, useState } from 'preact/hooks';

/** The message field: Enter sends (it submits the form), the button does the same. */
export function MessageForm(props: { onSend: (text: string) => Promise<void>; onTyping: () => void }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  // The autofocus attribute only works on page load, not for a field rendered later.
  useEffect(() => field.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (t === '') return;
    props.onSend(t).then(
      () => {
        setText('');
        setProblem(null);
      },
      (err: unknown) =>
        setProblem(
          `Not sent: ${typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string' ? err.message : 'error'}`,
        ),
    );
  };
  return (
    <form class="composer" onSubmit={submit}>
      <label for="message">Message</label>
      <div class="row">
        <input
          id="message"
          ref={field}
          autoComplete="off"
          maxLength={5000}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            props.onTyping();
          }}
        />
        <button type="submit">Send</button>
      </div>
      {problem !== null && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
