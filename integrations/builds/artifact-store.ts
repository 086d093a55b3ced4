// Where builds put their artifacts and deploys read them: a local directory by default, an S3-compatible bucket for
// installations with several workers (a build may run on one machine and the deploy on another).
import type { Readable } from 'node:stream';

export interface StoredArtifact {
  /** sha256 of the content, lower-case hex. */
  sha256: string;
  size: number;
}

export interface ArtifactStore {
  /** How logs name the store: `local:<dir>` or `s3://bucket/prefix` (never credentials). */
  readonly location: string;
  /** Stores the file under `key` (replacing what was there) and returns its checksum and size. */
  put(key: string, filePath: string): Promise<StoredArtifact>;
  /** The content under `key`; fails with a clear error when there is none. */
  get(key: string): Promise<Readable>;
  /** The checksum and size under `key`, or undefined when there is nothing. */
  stat(key: string): Promise<StoredArtifact | undefined>;
}
