import { loadNodeRuntime } from '@php-wasm/node';
import { PHP, ProcessIdAllocator } from '@php-wasm/universal';
import { PHP_VERSION } from './artifacts';

/**
 * One process-id space for every PHP runtime in this Node process: each site's primary runtime and
 * every runtime created by rotation gets its own id (`loadNodeRuntime` throws without one).
 */
const processIds = new ProcessIdAllocator();

export interface RuntimeFactory {
  /** Passed to `bootWordPressAndRequestHandler` as `createPhpRuntime`; also used for rotation. */
  readonly createPhpRuntime: () => Promise<number>;
  /** The process id of the first runtime this factory created (the site's primary PHP). */
  readonly firstProcessId: () => number | undefined;
  /** Gives every id this factory claimed back to the allocator (after the site is disposed). */
  readonly releaseProcessIds: () => void;
}

export function createRuntimeFactory(): RuntimeFactory {
  const claimed: number[] = [];
  return {
    createPhpRuntime: async () => {
      const processId = processIds.claim();
      claimed.push(processId);
      return loadNodeRuntime(PHP_VERSION, { emscriptenOptions: { processId } });
    },
    firstProcessId: () => claimed[0],
    releaseProcessIds: () => {
      for (const id of claimed.splice(0)) processIds.release(id);
    },
  };
}

/** A bare PHP without WordPress (for testing PHP sources on their own), in the same id space. */
export async function bootBarePhp(version: '7.4' | '8.3'): Promise<PHP> {
  const processId = processIds.claim();
  const php = new PHP(await loadNodeRuntime(version, { emscriptenOptions: { processId } }));
  const exit = php.exit.bind(php);
  php.exit = (code?: number) => {
    processIds.release(processId);
    return exit(code);
  };
  return php;
}
