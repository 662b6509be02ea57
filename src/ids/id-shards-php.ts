import idShardsSource from '../php/id-shards.php?raw';
import idShardsInstallSource from '../php/id-shards-install.php?raw';
import idShardsPreloadSource from '../php/id-shards-preload.php?raw';

/** Where the runtime half lives on the site: outside /wordpress, so no export or FS journal sees it. */
export const ID_SHARDS_LIBRARY_PATH = '/internal/shared/playground-sync/id-shards.php';
/**
 * Playground runs every /internal/shared/preload/*.php before wp-settings.php on every request;
 * `zz-` sorts after Playground's own `env.php`, which defines `playground_add_filter`.
 */
export const ID_SHARDS_PRELOAD_PATH = '/internal/shared/preload/zz-playground-sync-id-shards.php';

/** The filter and allocator (src/php/id-shards.php). */
export const ID_SHARDS_PHP: string = idShardsSource;
/** Registers the filter before WordPress loads; requires `ID_SHARDS_LIBRARY_PATH`. */
export const ID_SHARDS_PRELOAD_PHP: string = idShardsPreloadSource;
/** The survey / install / status `run()` script. */
export const ID_SHARDS_INSTALL_PHP: string = idShardsInstallSource;

/** Set this PHP global to true while applying remote rows through `$wpdb`: the filter then stands aside. */
export const ID_SHARDS_BYPASS_GLOBAL = 'playground_sync_applying_remote';
