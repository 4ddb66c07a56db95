import { render } from 'preact';
import '../shared/styles.css';
import { ChatApp } from './chat-app.js';

render(<ChatApp />, document.getElementById('app') as HTMLElement);
