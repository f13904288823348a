import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecretKey, LeadloopError } from '../core/index.ts';

/**
 * The master key: from `LEADLOOP_MASTER_KEY`, else from `<dataDir>/master.key`, else generated
 * there (0600, created exclusively so two processes starting together end up with one key).
 * It never enters the database: the database holds only what it seals and MACs.
 */
export function loadMasterKey(options: { configured: string | undefined; dataDir: string }): Buffer {
  if (options.configured) return Buffer.from(options.configured, 'base64');
  const file = join(options.dataDir, 'master.key');
  const read = () => {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.byteLength !== 32)
      throw new LeadloopError('validation_failed', `${file} does not hold base64 of 32 bytes`);
    return key;
  };
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const key = generateSecretKey();
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw error;
  }
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  // stderr, not the log: a CLI command's stdout carries its result (`workspace create --json`).
  process.stderr.write(
    `leadloop: generated a master key in ${file} (it seals secrets and authenticates the audit trail): back it up, and give every process of this deployment the same key (LEADLOOP_MASTER_KEY)\n`,
  );
  return key;
}
