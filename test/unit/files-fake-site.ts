import type { FilesystemOperation } from '../../src/platform/site-client';
import type { StatResult } from '../../src/files/blob-store';
import type { FileContentReader, ReadResult } from '../../src/files/file-content-reader';
import { comparePaths, isSameOrInside, movedPath, parentOf } from '../../src/files/paths';
import { sha256Hex } from '../../src/files/sha256';

const DIR = 'dir' as const;
type Node = Uint8Array | typeof DIR;

/**
 * An in-memory site behind the FS half of SiteClient, delivering like the browser does: the
 * journal reports an operation just before it runs, the report reaches the page later, through
 * the same first-in-first-out channel as the answers to reads; a read runs in the "worker" some
 * time after it is asked for, whatever the "PHP" did meanwhile.
 */
export class FakeSite {
  readonly nodes = new Map<string, Node>();
  private listener: ((op: FilesystemOperation) => void) | null = null;

  constructor(files: Record<string, string | typeof DIR> = {}) {
    this.nodes.set('/wordpress', DIR);
    for (const [path, value] of Object.entries(files)) {
      this.nodes.set(path, value === DIR ? DIR : new TextEncoder().encode(value));
    }
  }

  // ---- what PHP does (journaled) ----

  phpWrite(path: string, text: string): void {
    this.requireParentDir(path);
    if (this.nodes.get(path) === DIR) throw new Error(`EISDIR ${path}`);
    if (!this.nodes.has(path)) this.report({ operation: 'CREATE', path, nodeType: 'file' });
    this.report({ operation: 'WRITE', path, nodeType: 'file' });
    this.nodes.set(path, new TextEncoder().encode(text));
  }

  phpMkdir(path: string): void {
    this.requireParentDir(path);
    this.report({ operation: 'CREATE', path, nodeType: 'directory' });
    if (this.nodes.has(path)) throw new Error(`EEXIST ${path}`);
    this.nodes.set(path, DIR);
  }

  phpUnlink(path: string): void {
    this.report({ operation: 'DELETE', path, nodeType: 'file' });
    if (!(this.nodes.get(path) instanceof Uint8Array)) throw new Error(`ENOENT ${path}`);
    this.nodes.delete(path);
  }

  /** Children first, like WordPress's recursive delete. */
  phpDeleteTree(path: string): void {
    for (const child of this.children(path)) {
      if (this.nodes.get(child) === DIR) this.phpDeleteTree(child);
      else this.phpUnlink(child);
    }
    this.report({ operation: 'DELETE', path, nodeType: 'directory' });
    this.nodes.delete(path);
  }

  phpRename(from: string, to: string): void {
    const node = this.nodes.get(from);
    if (!node) throw new Error(`ENOENT ${from}`);
    this.requireParentDir(to);
    if (isSameOrInside(to, from)) throw new Error(`EINVAL ${from} → ${to}`);
    const target = this.nodes.get(to);
    if (target === DIR && (node !== DIR || this.children(to).length > 0)) throw new Error(`ENOTEMPTY ${to}`);
    if (target instanceof Uint8Array && node === DIR) throw new Error(`ENOTDIR ${to}`);
    this.report({ operation: 'RENAME', path: from, toPath: to, nodeType: node === DIR ? 'directory' : 'file' });
    this.move(from, to);
  }

  // ---- the SiteClient members the recorder and the applier use ----

  async journalFSEvents(root: string, callback: (op: FilesystemOperation) => void): Promise<() => unknown> {
    const prefix = root.replace(/\/$/, '');
    this.listener = (op) => {
      if (op.path.startsWith(prefix) || (op.operation === 'RENAME' && op.toPath.startsWith(prefix))) callback(op);
    };
    return () => {
      this.listener = null;
    };
  }

  readFileAsBuffer(path: string): Promise<Uint8Array> {
    return this.inWorker(() => {
      const node = this.nodes.get(path);
      if (!(node instanceof Uint8Array)) throw new Error(`ENOENT ${path}`);
      return node.slice();
    });
  }

  fileExists(path: string): Promise<boolean> {
    return this.inWorker(() => this.nodes.has(path));
  }

  isDir(path: string): Promise<boolean> {
    return this.inWorker(() => this.nodes.get(path) === DIR);
  }

  listFiles(path: string): Promise<string[]> {
    return this.inWorker(() => {
      if (this.nodes.get(path) !== DIR) throw new Error(`ENOTDIR ${path}`);
      return this.children(path).map((child) => child.slice(path.length + 1));
    });
  }

  // The API's own writes are journaled too (an echo source).
  mkdir(path: string): Promise<void> {
    return this.inWorker(() => {
      const missing: string[] = [];
      for (let at: string | null = path; at && !this.nodes.has(at); at = parentOf(at)) missing.unshift(at);
      for (const dir of missing) this.phpMkdir(dir);
      if (this.nodes.get(path) !== DIR) throw new Error(`ENOTDIR ${path}`);
    });
  }

  writeFile(path: string, data: string | Uint8Array): Promise<void> {
    return this.inWorker(() => {
      this.requireParentDir(path);
      if (this.nodes.get(path) === DIR) throw new Error(`EISDIR ${path}`);
      if (!this.nodes.has(path)) this.report({ operation: 'CREATE', path, nodeType: 'file' });
      this.report({ operation: 'WRITE', path, nodeType: 'file' });
      this.nodes.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data.slice());
    });
  }

  unlink(path: string): Promise<void> {
    return this.inWorker(() => this.phpUnlink(path));
  }

  rmdir(path: string): Promise<void> {
    return this.inWorker(() => this.phpDeleteTree(path));
  }

  mv(from: string, to: string): Promise<void> {
    return this.inWorker(() => this.phpRename(from, to));
  }

  /** There is no PHP here: pass the recorder a `start` manifest. */
  run(): Promise<never> {
    return Promise.reject(new Error('FakeSite runs no PHP'));
  }

  /** The tree as text, for comparisons. */
  copy(): [string, string][] {
    return [...this.nodes]
      .map(([path, node]): [string, string] => [path, node === DIR ? '<dir>' : new TextDecoder().decode(node)])
      .sort(([a], [b]) => comparePaths(a, b));
  }

  files(): string[] {
    return [...this.nodes].filter(([, node]) => node !== DIR).map(([path]) => path);
  }

  directories(): string[] {
    return [...this.nodes].filter(([path, node]) => node === DIR && path !== '/wordpress').map(([path]) => path);
  }

  children(path: string): string[] {
    return [...this.nodes.keys()].filter((key) => parentOf(key) === path).sort(comparePaths);
  }

  private report(op: FilesystemOperation): void {
    const listener = this.listener;
    if (listener) setTimeout(() => listener(op), 0);
  }

  /** Runs `work` on a later tick and answers on a tick after that (FIFO with journal reports). */
  private inWorker<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      setTimeout(() => {
        try {
          const result = work();
          setTimeout(() => resolve(result), 0);
        } catch (error) {
          setTimeout(() => reject(error as Error), 0);
        }
      }, 0);
    });
  }

  private requireParentDir(path: string): void {
    const parent = parentOf(path);
    if (parent === null || this.nodes.get(parent) !== DIR) throw new Error(`ENOENT parent of ${path}`);
  }

  private move(from: string, to: string): void {
    const moving = [...this.nodes].filter(([key]) => isSameOrInside(key, from));
    for (const [key] of moving) this.nodes.delete(key);
    for (const [key, value] of moving) this.nodes.set(movedPath(key, from, to), value);
  }
}

/** The recorder's reader on a site without PHP: every file read whole (as for small files). */
export function wholeFileReader(site: FakeSite): FileContentReader {
  const read = async (absolute: string): Promise<ReadResult> => {
    if (!(await site.fileExists(absolute))) return 'absent';
    if (await site.isDir(absolute)) return 'directory';
    const bytes = await site.readFileAsBuffer(absolute);
    return { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes) };
  };
  return { read, readAll: async (absolutes) => Promise.all(absolutes.map(read)) };
}

/** A transaction's look at sizes on a site without PHP: every file counts as small. */
export const allSmall = (absolutes: readonly string[]): Promise<StatResult[]> => Promise.resolve(absolutes.map(() => 0));
