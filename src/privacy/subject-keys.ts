import { createHmac, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { createSecretBox, type SecretBox, type WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';

/**
 * Per-subject keys for crypto-shredding. Personal data the audit trail must hold (a request's
 * subject, a rectification's old and new values) is sealed with a random key of its subject (a
 * lead, or a request before it has a lead); that key is stored sealed by the master key, which
 * never enters the database. Erasure deletes the key row: the audit entries keep their ciphertext
 * and their hashes, so the chain still verifies, but nothing can open them again.
 */
export interface SubjectKeys {
  seal(db: Db, ctx: WorkspaceContext, subject: string, plaintext: string, context: string): Promise<string>;
  /** Null once the subject's key was shredded. */
  open(
    db: Db,
    ctx: WorkspaceContext,
    subject: string,
    sealed: string,
    context: string,
  ): Promise<string | null>;
  shred(db: Db, ctx: WorkspaceContext, subjects: readonly string[]): Promise<number>;
  /** Seals workspace-level values (a request's subject until it completes) with the master key. */
  master: SecretBox;
  /** HMAC of a normalised email or phone with a pepper derived from the master key (suppression list). */
  suppressionHash(ctx: WorkspaceContext, kind: 'email' | 'phone', value: string): string;
  /**
   * The hashes to look an address up by: under the current key's pepper and each previous key's.
   * A one-way hash cannot be re-keyed, so entries written before a master-key rotation match only
   * while their key stays in `LEADLOOP_PREVIOUS_MASTER_KEYS`.
   */
  suppressionHashes(ctx: WorkspaceContext, kind: 'email' | 'phone', value: string): string[];
}

export function createSubjectKeys(options: {
  masterKey: Uint8Array;
  previousMasterKeys?: readonly Uint8Array[];
  clock: { now(): number };
}): SubjectKeys {
  const master = createSecretBox(options.masterKey, options.previousMasterKeys);
  // KeyObjects, imported once: the pipeline's privacy stage hashes every lead's contacts with
  // them, and a Buffer key is imported again on every MAC (a third of the hash's CPU).
  const pepperOf = (key: Uint8Array) =>
    createSecretKey(
      Buffer.from(hkdfSync('sha256', Buffer.from(key), Buffer.alloc(0), 'leadloop suppression pepper', 32)),
    );
  const peppers = [options.masterKey, ...(options.previousMasterKeys ?? [])].map(pepperOf);
  const hashWith = (pepper: KeyObject, ctx: WorkspaceContext, kind: string, value: string) =>
    createHmac('sha256', pepper).update(`${ctx.workspaceId}|${kind}|${value}`).digest('hex');
  const keyContext = (ctx: WorkspaceContext, subject: string) => `${ctx.workspaceId}|subject-key|${subject}`;

  async function boxOf(
    db: Db,
    ctx: WorkspaceContext,
    subject: string,
    create: boolean,
  ): Promise<SecretBox | null> {
    const row = await workspaceRow(db, 'privacy_subject_keys', ctx.workspaceId, { subject }, ['key_sealed']);
    if (row)
      return createSecretBox(Buffer.from(master.open(row.key_sealed, keyContext(ctx, subject)), 'base64'));
    if (!create) return null;
    const key = randomBytes(32);
    await db
      .insertInto('privacy_subject_keys')
      .values({
        workspace_id: ctx.workspaceId,
        subject,
        key_sealed: master.seal(key.toString('base64'), keyContext(ctx, subject)),
        created_at: options.clock.now(),
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'subject']).doNothing())
      .execute();
    // Another writer may have won the insert: read back whichever key is stored.
    return boxOf(db, ctx, subject, false);
  }

  return {
    master,
    async seal(db, ctx, subject, plaintext, context) {
      const box = await boxOf(db, ctx, subject, true);
      return (box as SecretBox).seal(plaintext, `${ctx.workspaceId}|${subject}|${context}`);
    },
    async open(db, ctx, subject, sealed, context) {
      const box = await boxOf(db, ctx, subject, false);
      return box ? box.open(sealed, `${ctx.workspaceId}|${subject}|${context}`) : null;
    },
    async shred(db, ctx, subjects) {
      if (subjects.length === 0) return 0;
      const result = await db
        .deleteFrom('privacy_subject_keys')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('subject', 'in', [...subjects])
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    suppressionHash(ctx, kind, value) {
      return hashWith(peppers[0] as KeyObject, ctx, kind, value);
    },
    suppressionHashes(ctx, kind, value) {
      return peppers.map((pepper) => hashWith(pepper, ctx, kind, value));
    },
  };
}
