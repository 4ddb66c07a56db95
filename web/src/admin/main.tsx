import { render } from 'preact';
import '../shared/styles.css';
import { AdminApp } from './admin-app.js';

render(<AdminApp />, document.getElementById('app') as HTMLElement);
