import * as v from 'valibot';
import { SiteInfoSchema } from './site';
import { MAX_MESSAGE_BYTES } from './validate';

/**
 * MAIN-world bridge <-> isolated content script, over a private MessageChannel.
 *
 * The content script creates the channel and hands one port to the bridge with a single
 * `window.postMessage` that the bridge (registered first, at document_start) takes and stops.
 * After that nothing crosses the page-visible `window` message bus.
 */
export const BRIDGE_HANDSHAKE = 'playground-sync/bridge-handshake';

export const BridgeHandshakeSchema = v.strictObject({
  type: v.literal(BRIDGE_HANDSHAKE),
  nonce: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/)),
});

/** Plain-data client methods the content script may call through the bridge. */
export const RELAYED_METHODS = [
  'run',
  'request',
  'writeFile',
  'readFileAsBuffer',
  'readFileAsText',
  'mkdir',
  'unlink',
  'mv',
  'rmdir',
  'listFiles',
  'isDir',
  'fileExists',
  'replayFSJournal',
  'goTo',
] as const;
export type RelayedMethod = (typeof RELAYED_METHODS)[number];

/** Client properties (Comlink thenables on the page) the content script may read. */
export const RELAYED_PROPERTIES = ['documentRoot', 'absoluteUrl'] as const;
export type RelayedProperty = (typeof RELAYED_PROPERTIES)[number];

const requestId = v.pipe(v.number(), v.integer(), v.minValue(0));

/** An absolute path with no `.` or `..` segment: it cannot name anything outside the directory it starts with. */
const absolutePath = (max: number) =>
  v.pipe(
    v.string(),
    v.startsWith('/'),
    v.maxLength(max),
    v.check((path) => !path.split('/').some((part) => part === '.' || part === '..'), 'a "." or ".." segment'),
  );

/** The page's client a call is meant for (the bridge numbers each one it sees, from 1): a call for an older one is refused. */
const clientGeneration = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

export const ContentToBridgeSchema = v.variant('type', [
  v.strictObject({
    type: v.literal('call'),
    id: requestId,
    client: clientGeneration,
    method: v.picklist(RELAYED_METHODS),
    args: v.array(v.unknown()),
  }),
  v.strictObject({ type: v.literal('get'), id: requestId, client: clientGeneration, property: v.picklist(RELAYED_PROPERTIES) }),
  /** Start a stream; the bridge keeps it bound across client swaps until `unsubscribe`. */
  // Told apart by `stream` too, so a refusal names the field that is wrong, not the other stream's.
  v.variant('stream', [
    v.strictObject({ type: v.literal('subscribe'), id: requestId, stream: v.literal('messages') }),
    v.strictObject({ type: v.literal('subscribe'), id: requestId, stream: v.literal('fs-journal'), root: absolutePath(1000) }),
  ]),
  v.strictObject({ type: v.literal('unsubscribe'), id: requestId, subscription: requestId }),
  /** The answer PHP's `post_message_to_js()` returns for message `replyTo` (it waits for it). */
  v.strictObject({
    type: v.literal('reply'),
    id: requestId,
    replyTo: requestId,
    data: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  }),
]);
export type ContentToBridge = v.InferOutput<typeof ContentToBridgeSchema>;
/** A request before the relay numbers it. */
export type ContentToBridgeRequest = ContentToBridge extends infer M ? (M extends unknown ? Omit<M, 'id'> : never) : never;

/** A PHP response flattened to plain data (the page's `PHPResponse` is a class with getters). */
export const BytesSchema = v.custom<Uint8Array>((input) => input instanceof Uint8Array, 'expected bytes');

export const PhpResultDataSchema = v.strictObject({
  bytes: BytesSchema,
  errors: v.string(),
  exitCode: v.number(),
  httpStatusCode: v.number(),
  headers: v.record(v.string(), v.array(v.string())),
});
export type PhpResultData = v.InferOutput<typeof PhpResultDataSchema>;

/**
 * Page messages the bridge forwards: only Playground Sync's own (`post_message_to_js` is open to
 * any PHP on the site and to Playground itself, whose messages are none of our business).
 */
export const SYNC_MESSAGE_TYPE_PREFIX = 'pg-sync/';

const fsPath = absolutePath(4096);
const nodeType = v.picklist(['file', 'directory']);

/** A page FS journal event (the journal never fills `data`; bytes are read separately). */
export const FilesystemOperationSchema = v.variant('operation', [
  v.strictObject({ operation: v.literal('CREATE'), path: fsPath, nodeType }),
  v.strictObject({ operation: v.literal('WRITE'), path: fsPath, nodeType: v.literal('file') }),
  v.strictObject({ operation: v.literal('DELETE'), path: fsPath, nodeType }),
  v.strictObject({ operation: v.literal('RENAME'), path: fsPath, toPath: fsPath, nodeType }),
]);

export const BridgeToContentSchema = v.variant('type', [
  /** The page's client is attached (again, after the page swapped it). */
  v.strictObject({
    type: v.literal('client'),
    generation: v.pipe(v.number(), v.integer()),
    source: SiteInfoSchema.entries.clientSource,
    storage: SiteInfoSchema.entries.storage,
    name: SiteInfoSchema.entries.name,
  }),
  /** No client yet, or it failed to boot. */
  v.strictObject({ type: v.literal('waiting'), reason: v.pipe(v.string(), v.maxLength(500)) }),
  v.strictObject({
    type: v.literal('result'),
    id: requestId,
    ok: v.boolean(),
    value: v.optional(v.unknown()),
    error: v.optional(v.pipe(v.string(), v.maxLength(4000))),
  }),
  /** A site message; PHP waits until the content script answers `replyId` (or the bridge gives up). */
  v.strictObject({ type: v.literal('message'), subscription: requestId, replyId: requestId, data: v.pipe(v.string(), v.maxLength(MAX_MESSAGE_BYTES)) }),
  v.strictObject({ type: v.literal('fs-event'), subscription: requestId, operation: FilesystemOperationSchema }),
  /** The bridge saw a page script try to open another channel or impersonate it. */
  v.strictObject({ type: v.literal('forged'), what: v.pipe(v.string(), v.maxLength(500)) }),
]);
export type BridgeToContent = v.InferOutput<typeof BridgeToContentSchema>;
