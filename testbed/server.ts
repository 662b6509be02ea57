/**
 * HTTPS server of the offline stand-in for https://playground.wordpress.net.
 *
 * Serves the built testbed (testbed/dist), the WordPress and SQLite-integration zips and the
 * static assets of the minified WordPress builds straight from node_modules, on 127.0.0.1 with a
 * certificate for playground.wordpress.net issued by a self-made CA (generated with the openssl
 * CLI on first use, cached in .cache/standin-tls/). Chromium reaches it through
 * `--host-resolver-rules` and accepts the leaf through `--ignore-certificate-errors-spki-list`.
 *
 *   import { startStandIn } from '../testbed/server';   // vitest, tsx scripts
 *   npx tsx testbed/server.ts [--port 8443]              // by hand
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PLAYGROUND_HOST = 'playground.wordpress.net';
export const PLAYGROUND_ORIGIN = `https://${PLAYGROUND_HOST}`;

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(projectRoot, 'testbed', 'dist');
const tlsDir = join(projectRoot, '.cache', 'standin-tls');
const wordpressBuilds = join(projectRoot, 'node_modules', '@wp-playground', 'wordpress-builds');
const sqliteZip = join(projectRoot, 'node_modules', '@wp-playground', 'cli', 'sqlite-database-integration.zip');
const legacySqliteZip = join(wordpressBuilds, 'src', 'sqlite-database-integration', 'sqlite-database-integration.zip');
const WP_VERSIONS = ['nightly', 'beta', '6.5', '6.4', '6.3', '6.2'];

export interface StandInOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Log every request to stderr. */
  log?: boolean;
}

export interface StandIn {
  port: number;
  /** Where the server really listens, e.g. `https://127.0.0.1:41234`. Browsers use PLAYGROUND_ORIGIN. */
  origin: string;
  /** base64 SHA-256 of the leaf certificate's SPKI, for `--ignore-certificate-errors-spki-list`. */
  spkiHash: string;
  /** PEM of the self-made CA, for clients that want to trust it instead of pinning. */
  caCertPath: string;
  close(): Promise<void>;
}

interface TlsMaterial {
  key: string;
  cert: string;
  caCertPath: string;
  spkiHash: string;
}

/** The CA and leaf, from the cache or freshly made; remade when missing or expiring. */
export function ensureCertificates(): TlsMaterial {
  const caCertPath = join(tlsDir, 'ca.crt');
  const leafCertPath = join(tlsDir, 'leaf.crt');
  const leafKeyPath = join(tlsDir, 'leaf.key');
  const usable = (): boolean => {
    if (![caCertPath, leafCertPath, leafKeyPath].every((p) => existsSync(p))) {
      return false;
    }
    const leaf = new X509Certificate(readFileSync(leafCertPath));
    const inAWeek = Date.now() + 7 * 24 * 3600 * 1000;
    return leaf.checkHost(PLAYGROUND_HOST) !== undefined && Date.parse(leaf.validTo) > inAWeek;
  };
  if (!usable()) {
    generateCertificates();
  }
  // Another test worker may be putting a new set in place right now: read until key and
  // certificate belong together.
  for (let attempt = 0; ; attempt++) {
    const cert = readFileSync(leafCertPath, 'utf8');
    const key = readFileSync(leafKeyPath, 'utf8');
    const leaf = new X509Certificate(cert);
    if (leaf.checkPrivateKey(createPrivateKey(key))) {
      const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
      return { key, cert, caCertPath, spkiHash: createHash('sha256').update(spki).digest('base64') };
    }
    if (attempt >= 50) throw new Error(`The stand-in's key and certificate in ${tlsDir} do not match`);
    execFileSync('sleep', ['0.1']);
  }
}

function generateCertificates(): void {
  mkdirSync(join(projectRoot, '.cache'), { recursive: true });
  // Build in a scratch folder and move the files in, so concurrent starts never read half a set.
  const work = mkdtempSync(join(projectRoot, '.cache', 'standin-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj',
      '/O=Playground Sync tests/CN=Playground Sync stand-in CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${PLAYGROUND_HOST}`);
    writeFileSync(join(work, 'leaf.ext'), [
      `subjectAltName=DNS:${PLAYGROUND_HOST}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ].join('\n'));
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'leaf.crt', '-days', '365', '-sha256', '-extfile', 'leaf.ext');
    // The set goes in place as one folder, by one rename: a concurrent start that got there
    // first wins and this set is dropped; a stale set is moved aside first.
    const set = join(work, 'set');
    mkdirSync(set);
    for (const file of ['ca.key', 'ca.crt', 'leaf.key', 'leaf.crt']) {
      renameSync(join(work, file), join(set, file));
    }
    if (existsSync(tlsDir)) {
      try {
        renameSync(tlsDir, join(work, 'stale'));
      } catch {
        // Someone else moved it already.
      }
    }
    try {
      renameSync(set, tlsDir);
    } catch {
      // Another start put its set in place meanwhile: use that one.
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
};

/** Joins a URL path under a folder, refusing anything that would leave it. */
function under(base: string, urlPath: string): string | undefined {
  const full = normalize(join(base, urlPath));
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

/** Maps a request path to a file on disk plus its cache policy, or undefined for 404. */
function resolveFile(pathname: string): { file: string; cache: string } | undefined {
  if (pathname === '/' || pathname === '/index.html') {
    return { file: join(distDir, 'index.html'), cache: 'no-cache' };
  }
  if (pathname === '/remote.html' || pathname === '/sw.js') {
    return { file: join(distDir, pathname), cache: 'no-cache' };
  }
  if (pathname.startsWith('/assets/')) {
    const file = under(distDir, pathname);
    return file ? { file, cache: 'public, max-age=31536000, immutable' } : undefined;
  }
  const zip = /^\/wordpress-builds\/(wp-([a-z0-9.]+)\.zip|sqlite-database-integration(-legacy)?\.zip)$/.exec(pathname);
  if (zip) {
    if (zip[1]?.startsWith('sqlite-database-integration')) {
      return { file: zip[3] ? legacySqliteZip : sqliteZip, cache: 'public, max-age=3600' };
    }
    return WP_VERSIONS.includes(zip[2] ?? '')
      ? { file: join(wordpressBuilds, 'src', 'wordpress', `wp-${zip[2]}.zip`), cache: 'public, max-age=3600' }
      : undefined;
  }
  const assets = /^\/wp-([a-z0-9.]+)\//.exec(pathname);
  if (assets && WP_VERSIONS.includes(assets[1] ?? '')) {
    const file = under(join(wordpressBuilds, 'public'), decodeURIComponent(pathname));
    return file ? { file, cache: 'public, max-age=3600' } : undefined;
  }
  return undefined;
}

function handle(request: Http2ServerRequest, response: Http2ServerResponse, log: boolean): void {
  const method = request.method ?? 'GET';
  let pathname: string;
  try {
    pathname = new URL(request.url ?? '/', PLAYGROUND_ORIGIN).pathname;
  } catch {
    pathname = '/';
  }
  const target = method === 'GET' || method === 'HEAD' ? resolveFile(pathname) : undefined;
  let size = -1;
  if (target) {
    try {
      const stat = statSync(target.file);
      size = stat.isFile() ? stat.size : -1;
    } catch {
      size = -1;
    }
  }
  if (log) {
    process.stderr.write(`[stand-in] ${method} ${request.url} → ${size >= 0 ? 200 : 404}\n`);
  }
  if (!target || size < 0) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    response.end('Not found');
    return;
  }
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(target.file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(size),
    'cache-control': target.cache,
    'access-control-allow-origin': '*',
  });
  if (method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(target.file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/** Starts the stand-in; resolves once it listens. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  if (!existsSync(join(distDir, 'index.html')) || !existsSync(join(distDir, 'sw.js'))) {
    throw new Error(`The stand-in is not built (${distDir}): run \`npm run build:testbed\` first.`);
  }
  const tls = ensureCertificates();
  const log = options.log ?? process.env.STANDIN_LOG === '1';
  const server = createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, (req, res) =>
    handle(req, res, log),
  );
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    origin: `https://127.0.0.1:${port}`,
    spkiHash: tls.spkiHash,
    caCertPath: tls.caCertPath,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) {
          socket.destroy();
        }
      });
      return closed;
    },
  };
}

/** Chromium flags that send playground.wordpress.net to the stand-in and nothing anywhere else. */
export function standInChromiumArgs(standIn: Pick<StandIn, 'port' | 'spkiHash'>): string[] {
  return [
    `--host-resolver-rules=MAP ${PLAYGROUND_HOST} 127.0.0.1:${standIn.port}, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1`,
    `--ignore-certificate-errors-spki-list=${standIn.spkiHash}`,
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const portFlag = process.argv.indexOf('--port');
  const port = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 0;
  const standIn = await startStandIn({ port, log: process.argv.includes('--log') });
  process.stdout.write(
    [
      `Offline stand-in for ${PLAYGROUND_ORIGIN} listening on ${standIn.origin}`,
      `SPKI pin: ${standIn.spkiHash}`,
      'Open it with:',
      `  chromium --user-data-dir=$(mktemp -d) ${standInChromiumArgs(standIn)
        .map((a) => `'${a}'`)
        .join(' ')} ${PLAYGROUND_ORIGIN}/`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    void standIn.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
