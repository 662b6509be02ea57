import type { PHP } from '@php-wasm/universal';

/**
 * Older Playground builds (2024) rotated each PHP instance's runtime every 400 requests (`run()`
 * included) and copied only the document root into the new runtime: everything a client had
 * written under `/internal` since boot was gone, while `/wordpress` (and the database file in it)
 * survived. Today's php-wasm copies the whole filesystem, so this puts the site's shared
 * `/internal/shared` back to what Playground created at boot after every rotation of any of its
 * instances (they all see the primary's `/internal/shared`). Used by the stand-in's
 * `?build=older` and by the Node harness, so both lose the same files.
 */

/** The part of `/internal` a client can write to and an older build's rotation lost. */
export const DROPPED_ON_ROTATION = '/internal/shared';

interface BootTree {
  readonly dirs: ReadonlySet<string>;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

function readTree(php: PHP, root: string): BootTree {
  const dirs = new Set<string>([root]);
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string) => {
    for (const name of php.listFiles(dir)) {
      const path = `${dir}/${name}`;
      if (php.isDir(path)) {
        dirs.add(path);
        walk(path);
      } else {
        files.set(path, php.readFileAsBuffer(path));
      }
    }
  };
  walk(root);
  return { dirs, files };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Makes `root` on `php` hold exactly `boot` again: later files and folders go, changed files are written back. */
function restoreTree(php: PHP, root: string, boot: BootTree): void {
  const walk = (dir: string) => {
    for (const name of php.listFiles(dir)) {
      const path = `${dir}/${name}`;
      if (php.isDir(path)) {
        if (boot.dirs.has(path)) walk(path);
        else php.rmdir(path, { recursive: true });
      } else if (!boot.files.has(path)) {
        php.unlink(path);
      }
    }
  };
  if (!php.isDir(root)) php.mkdir(root);
  walk(root);
  for (const dir of boot.dirs) if (!php.isDir(dir)) php.mkdir(dir);
  for (const [path, bytes] of boot.files) {
    if (!php.fileExists(path) || !sameBytes(php.readFileAsBuffer(path), bytes)) php.writeFile(path, bytes);
  }
}

/**
 * Remembers `/internal/shared` as `primary` holds it now (call once the site booted) and returns
 * what to call on every PHP instance of the site (the primary included) to make its rotations
 * drop what was written there later. `onRotated` hears of each rotation (tests count them).
 */
export function dropInternalOnRotation(primary: PHP, onRotated?: () => void): (php: PHP) => void {
  const boot = readTree(primary, DROPPED_ON_ROTATION);
  const patched = new WeakSet<PHP>();
  return (php) => {
    if (patched.has(php)) return;
    patched.add(php);
    // Private in php-wasm's types; the request path calls `this.rotateRuntime()`, so an own
    // property replaces the prototype's.
    const rotating = php as unknown as { rotateRuntime(): Promise<void> };
    const rotate = rotating.rotateRuntime.bind(php);
    rotating.rotateRuntime = async () => {
      await rotate();
      restoreTree(primary, DROPPED_ON_ROTATION, boot);
      onRotated?.();
    };
  };
}
