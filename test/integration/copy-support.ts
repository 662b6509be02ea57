import { BLOB_CHUNK_BYTES, BLOB_STORE_AREA, BlobStore } from '../../src/files';
import { copyBlobs, type CopyMeta } from '../../src/engine/copy';
import type { NodeSite } from '../harness';

/** A site's blob store, where a copy's bytes are staged on the source and pulled to on the target. */
export const storeOf = (site: NodeSite): BlobStore => BlobStore.forSite(site.client, '/wordpress');

/** What SyncPeer's blob transfer does for a copy, without a link: the copy's blobs from `from`'s store into `to`'s, a chunk at a time. */
export async function pullCopyBlobs(from: NodeSite, to: NodeSite, meta: CopyMeta): Promise<void> {
  const [source, target] = [storeOf(from), storeOf(to)];
  for (const { sha256, size } of copyBlobs(meta)) {
    if (await target.has(sha256)) continue;
    for (let offset = await target.partSize(sha256); offset < size; offset += BLOB_CHUNK_BYTES) {
      await target.writeChunk(sha256, offset, await source.readChunk(sha256, offset, Math.min(BLOB_CHUNK_BYTES, size - offset)));
    }
    const finished = await target.finish(sha256);
    if (!finished.ok) throw new Error(`blob ${sha256} arrived as ${finished.actualSha256}`);
    // The source's chunks cut for serving go when its peer lets go of the copy; the blob itself is compared on both sides.
    const cut = `/wordpress/${BLOB_STORE_AREA}/cut/${sha256}`;
    if (await from.client.isDir(cut)) await from.client.rmdir(cut, { recursive: true });
  }
}
