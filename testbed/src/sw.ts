/// <reference lib="webworker" />
/**
 * The stand-in's service worker (scope `/`): requests under `/scope:<slug>/` go to the tab whose
 * remote frame booted that scope (the request is broadcast; each remote answers only its own
 * scope). Static assets a minified WordPress build lacks come back as 404 +
 * `x-backfill-from: remote-host` and are fetched from the server's static assets directory.
 */
import { getURLScope, isURLScoped, removeURLScope, setURLScope } from '@php-wasm/scopes';
import { applyRewriteRules } from '@php-wasm/universal';
import {
  awaitReply,
  broadcastMessageExpectReply,
  cloneRequest,
  convertFetchEventToPHPRequest,
} from '@php-wasm/web-service-worker';
import { wordPressRewriteRules } from '@wp-playground/wordpress';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', (event) => {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || url.pathname === self.location.pathname) {
    return;
  }
  if (isURLScoped(url)) {
    const scope = getURLScope(url);
    if (scope) {
      event.respondWith(handleScopedRequest(event, scope).then(applyCrossOriginIsolationHeaders));
    }
    return;
  }
  // An unscoped same-origin request made by a scoped page belongs to that page's site.
  let referrer: URL | undefined;
  try {
    referrer = new URL(event.request.referrer);
  } catch {
    referrer = undefined;
  }
  if (referrer && isURLScoped(referrer) && referrer.origin === url.origin) {
    const scope = getURLScope(referrer);
    if (scope) {
      event.respondWith(Response.redirect(setURLScope(url, scope).toString()));
    }
  }
  // Everything else (the website, remote.html, bundles, zips) goes to the network.
});

async function handleScopedRequest(event: FetchEvent, scope: string): Promise<Response> {
  const unscoped = removeURLScope(new URL(event.request.url));
  if (unscoped.pathname.endsWith('/wp-includes/empty.html')) {
    return emptyHtml();
  }
  const response = await convertFetchEventToPHPRequest(event);
  if (response.status === 404 && response.headers.get('x-backfill-from') === 'remote-host') {
    const { staticAssetsDirectory } = await scopeDetails(scope);
    if (!staticAssetsDirectory) {
      return response;
    }
    const assetUrl = new URL(unscoped);
    assetUrl.pathname = `/${staticAssetsDirectory}${applyRewriteRules(assetUrl.pathname, wordPressRewriteRules)}`;
    return fetch(await cloneRequest(event.request, { url: assetUrl, credentials: 'omit' }));
  }
  if (/\/block-editor(?:\.min)?\.js$|\/block-editor\/index(?:\.min)?\.js$/.test(unscoped.pathname)) {
    return patchBlockEditorIframe(response);
  }
  return response;
}

const detailsByScope = new Map<string, Promise<{ staticAssetsDirectory?: string }>>();
function scopeDetails(scope: string): Promise<{ staticAssetsDirectory?: string }> {
  let details = detailsByScope.get(scope);
  if (!details) {
    details = broadcastMessageExpectReply({ method: 'getWordPressModuleDetails' }, scope).then(
      (requestId) => awaitReply(self, requestId) as Promise<{ staticAssetsDirectory?: string }>,
    );
    details.catch(() => detailsByScope.delete(scope));
    detailsByScope.set(scope, details);
  }
  return details;
}

/**
 * The block editor renders its canvas in a blob: (or srcdoc) iframe that the service worker does
 * not control, so its assets would not load. As on the real site, the editor's iframe is swapped
 * for one loading /wp-includes/empty.html, which renders the blob's markup itself.
 */
const controlledIframeScript = `
window.__playground_ControlledIframe = window.wp.element.forwardRef(function (props, ref) {
  var src = window.wp.element.useMemo(function () {
    if (props.srcDoc) { return '/wp-includes/empty.html'; }
    if (props.src && props.src.indexOf('blob:') === 0) {
      return '/wp-includes/empty.html#' + encodeURIComponent(props.src);
    }
    return props.src;
  }, [props.src, props.srcDoc]);
  return window.wp.element.createElement('iframe', Object.assign({}, props, { ref: ref, src: src, srcDoc: undefined }));
});`;

async function patchBlockEditorIframe(response: Response): Promise<Response> {
  const script = await response.text();
  return new Response(`${controlledIframeScript}\n${script.replace(/\(\s*"iframe",/, '(__playground_ControlledIframe,')}`, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function emptyHtml(): Response {
  const script = `
    var hash = window.location.hash.substring(1);
    if (hash) {
      var url = null;
      try { url = new URL(decodeURIComponent(hash)); } catch (e) {}
      if (url && url.protocol === 'blob:' && url.origin === window.location.origin) {
        try {
          var xhr = new XMLHttpRequest();
          xhr.open('GET', url.href, false);
          xhr.overrideMimeType('text/plain;charset=utf-8');
          xhr.send();
          document.write(xhr.responseText);
        } catch (e) {}
      }
    }`;
  return new Response(`<!doctype html><script>${script}</script>`, {
    status: 200,
    headers: { 'content-type': 'text/html' },
  });
}

/** COEP/COOP from WordPress become Document-Isolation-Policy, as on the real site. */
function applyCrossOriginIsolationHeaders(response: Response): Response {
  if (response.headers.has('document-isolation-policy')) {
    return response;
  }
  const coep = response.headers.get('cross-origin-embedder-policy');
  if (coep !== 'require-corp' && coep !== 'credentialless') {
    return response;
  }
  const headers = new Headers(response.headers);
  headers.delete('cross-origin-embedder-policy');
  headers.delete('cross-origin-opener-policy');
  headers.set(
    'document-isolation-policy',
    coep === 'require-corp' ? 'isolate-and-require-corp' : 'isolate-and-credentialless',
  );
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
