import { masterKeyId } from '../../core/index.ts';
import { loadPreviousMasterKeys } from '../master-key.ts';
import { createRuntime } from '../runtime.ts';
import { bool, type Command, dataDirOption, usageError } from './types.ts';

export const masterKeyCommand: Command = {
  summary:
    'Re-seal every stored secret under the current master key (LEADLOOP_MASTER_KEY), opening each with LEADLOOP_PREVIOUS_MASTER_KEYS',
  usage: 'leadloop master-key rotate [--data-dir D] [--json]',
  options: { ...dataDirOption, json: { type: 'boolean' } },
  logLevel: 'warn',
  async run(context) {
    if (context.positionals[0] !== 'rotate') throw usageError(`usage: ${this.usage}`);
    const previous = loadPreviousMasterKeys(context.config.LEADLOOP_PREVIOUS_MASTER_KEYS);
    if (previous.length === 0 || !context.config.LEADLOOP_MASTER_KEY)
      throw usageError(
        'set LEADLOOP_MASTER_KEY to the new key and LEADLOOP_PREVIOUS_MASTER_KEYS to the old one(s), for this command and every process, then run it',
      );
    const runtime = await createRuntime(context.config);
    try {
      const result = await runtime.rotateMasterKey();
      if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        for (const c of result.columns)
          context.stdout.write(
            `${c.table}.${c.column}: ${c.resealed} re-sealed, ${c.current} already under the current key\n`,
          );
        context.stdout.write(
          `every sealed secret is now under master key ${masterKeyId(Buffer.from(context.config.LEADLOOP_MASTER_KEY, 'base64'))}. Keep the previous key(s) in LEADLOOP_PREVIOUS_MASTER_KEYS while audit entries, checkpoints and links they signed must verify (docs/security.md)\n`,
        );
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
