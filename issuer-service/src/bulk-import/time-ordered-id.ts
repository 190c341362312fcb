import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the other 74
 * (after the version and variant bits) random — as unguessable as the 122 random bits of a version 4
 * for an id nobody is meant to guess from another, and in the order the ids were made.
 *
 * The import's ids (credential, application, challenge) key B-tree indexes: with random ids each
 * chunk of 1,000 rows wrote into about a thousand pages of every such index, pages the database
 * had to read, change and write back at commit — at 100,000 rows, what slowed SQLite down most.
 * Ids in the order they are made land on the last few pages of each index instead.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: the variant bits are already RFC 9562's
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
