import { readFile } from 'node:fs/promises';
import { getPHPLoaderModule, loadNodeRuntime } from '@php-wasm/node';
import { PHP, ProcessIdAllocator } from '@php-wasm/universal';
import { PHP_VERSION } from './artifacts';

/**
 * One process-id space for every PHP runtime in this Node process: each site's primary runtime and
 * every runtime created by rotation gets its own id (`loadNodeRuntime` throws without one).
 */
const processIds = new ProcessIdAllocator();

type PhpVersion = NonNullable<Parameters<typeof getPHPLoaderModule>[0]>;

/**
 * PHP's WebAssembly compiled once per version for this Node process, as a browser keeps compiled
 * code in its cache: each new runtime (every site, every rotation) then starts from code V8 has
 * already optimized instead of compiling 20 MB again and running it unoptimized until tiered up.
 */
const compiledPhp = new Map<PhpVersion, Promise<WebAssembly.Module>>();

function compiledModule(version: PhpVersion): Promise<WebAssembly.Module> {
  let compiled = compiledPhp.get(version);
  if (!compiled) {
    compiled = getPHPLoaderModule(version).then(async (loader) => WebAssembly.compile(await readFile(loader.dependencyFilename)));
    compiledPhp.set(version, compiled);
  }
  return compiled;
}

/** `loadNodeRuntime`, instantiating the version's compiled module (Emscripten's `instantiateWasm` hook). */
async function loadRuntime(version: PhpVersion, processId: number): Promise<number> {
  // Compiled before Emscripten starts, so a failure rejects here instead of leaving the hook unanswered.
  const module = await compiledModule(version);
  const instantiateWasm = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
    void WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module));
    return {};
  };
  return loadNodeRuntime(version, { emscriptenOptions: { processId, instantiateWasm } });
}

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
      return loadRuntime(PHP_VERSION, processId);
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
  const php = new PHP(await loadRuntime(version, processId));
  const exit = php.exit.bind(php);
  php.exit = (code?: number) => {
    processIds.release(processId);
    return exit(code);
  };
  return php;
}
