/**
 * The built web pages (`npm run build` writes them to dist/web), held in memory and served on the
 * WebSocket port: the chat demo at `/`, the admin UI at `/admin`, hashed assets under `/assets/`.
 * HTML is revalidated on every load (no-cache + ETag); hashed assets are immutable for a year.
 */

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import type { HttpRouteHandler } from '../gateway/index.js';
import { pathOf } from './http-json.js';

export interface StaticSiteOptions {
  /** Directory of the build (holds index.html, admin/index.html, assets/). */
  root: string;
  /** Serve the chat demo at `/`. */
  chatDemo: boolean;
  /** Serve the admin UI at `/admin`. */
  admin: boolean;
  logger: Logger;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Pages may talk only to their own origin (WebSocket included) and load nothing from elsewhere. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
}

/** Loads every file of the build; an empty map when the directory does not exist. */
function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(root)) return assets;
  const files: string[] = [];
  walk(root, files);
  for (const file of files) {
    const urlPath = `/${relative(root, file).split(sep).join('/')}`;
    const body = readFileSync(file);
    assets.set(urlPath, {
      body,
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: urlPath.startsWith('/assets/'),
    });
  }
  return assets;
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': asset.type,
    etag: asset.etag,
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-length'] = String(asset.body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

function notBuilt(res: ServerResponse): void {
  const text = 'The web pages are not built: run `npm run build` (npm start does it), then reload.\n';
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Route for the pages; `false` for paths it does not serve (and for pages that are off). */
export function createStaticSite(options: StaticSiteOptions): HttpRouteHandler {
  const assets = loadAssets(options.root);
  const pages = new Map<string, string>();
  if (options.chatDemo) for (const p of ['/', '/index.html']) pages.set(p, '/index.html');
  if (options.admin) for (const p of ['/admin', '/admin/', '/admin/index.html']) pages.set(p, '/admin/index.html');
  if (pages.size > 0 && assets.size === 0) {
    options.logger.warn({ root: options.root }, 'web pages are not built (run `npm run build`); / and /admin answer 503 until then');
  }
  const anyPage = pages.size > 0;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = pathOf(req);
    const page = pages.get(path);
    const target = page ?? (anyPage && (path.startsWith('/assets/') || path === '/favicon.svg') ? path : undefined);
    if (target === undefined) return false;
    const asset = assets.get(target);
    if (asset === undefined) {
      if (page !== undefined) notBuilt(res);
      else return false;
      return true;
    }
    send(req, res, asset);
    return true;
  };
}
