/** Loads the control plane's Lua scripts from lua/ beside this file (the source tree when run from dist/). */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LuaScript } from '../redis/lua-script.js';

function scriptDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'lua');
  if (existsSync(beside)) return beside;
  // tsc does not copy .lua files: compiled code under dist/ reads them from the source tree.
  return join(here.replace(/([\\/])dist[\\/]src[\\/]/, '$1src$1'), 'lua');
}

const loaded = new Map<string, LuaScript>();

/** Reads `lua/<name>.lua` once (synchronously; call it from a constructor, not at import time). */
export function loadControlScript(name: string, numKeys: number): LuaScript {
  let script = loaded.get(name);
  if (script === undefined) {
    script = new LuaScript(name, readFileSync(join(scriptDir(), `${name}.lua`), 'utf8'), numKeys);
    loaded.set(name, script);
  }
  return script;
}
