// Copies non-TypeScript runtime assets (Lua scripts) next to the compiled code in dist/, so the
// built package runs without the source tree.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.lua')) cpSync(path, join('dist', path));
  }
}
walk('src');
