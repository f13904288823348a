import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { LeadloopError } from '../../core/index.ts';
import { type RuntimeOpener, runtimeScopes } from './command-runtime.ts';
import { type Command, cliActor, commandOptions, usageError } from './types.ts';
import { count } from './workspace-option.ts';

const USAGE = 'leadloop knowledge load [--workspace <id>] <folder>';

interface FileDocument {
  file: string;
  title: string;
  format: 'markdown' | 'text';
  content: string;
}

/** The .md and .txt files under `folder` (sub-folders included), in path order. */
async function filesOf(folder: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true, recursive: true });
  } catch (error) {
    throw usageError(`cannot read the folder ${folder}: ${error instanceof Error ? error.message : error}`);
  }
  return entries
    .filter(
      (entry) => entry.isFile() && ['.md', '.markdown', '.txt'].includes(extname(entry.name).toLowerCase()),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A markdown file's title is its first `# ` heading; otherwise (and for text) the file name. */
function documentOf(folder: string, path: string, content: string): FileDocument {
  const file = relative(folder, path);
  const format = extname(path).toLowerCase() === '.txt' ? 'text' : 'markdown';
  const heading = format === 'markdown' ? /^#\s+(.+?)\s*#*\s*$/mu.exec(content)?.[1] : undefined;
  const title = heading ?? basename(file, extname(file)).replace(/[-_]+/g, ' ');
  return { file, title: title.slice(0, 200), format, content };
}

/** Two files with the same title: the second is told apart by its path. */
function uniqueTitles(documents: FileDocument[]): void {
  const seen = new Set<string>();
  for (const doc of documents) {
    if (seen.has(doc.title.toLowerCase())) doc.title = `${doc.title} (${doc.file})`.slice(0, 200);
    seen.add(doc.title.toLowerCase());
  }
}

/**
 * `leadloop knowledge load <folder>`: replaces a workspace's chat knowledge with the folder's
 * markdown and text files, through the same validation and audit as `PUT /v1/chat/knowledge`.
 * Progress (one line per file) goes to stderr, the summary to stdout.
 */
export function createKnowledgeCommand(open?: RuntimeOpener): Command {
  const { withWorkspace } = runtimeScopes(open);
  return {
    summary: "Load a folder of .md/.txt files as the workspace's chat knowledge (replaces what was there)",
    usage: USAGE,
    options: commandOptions(['workspace']),
    logLevel: 'warn',
    async run(context) {
      const [sub, folder, ...extra] = context.positionals;
      if (sub !== 'load' || !folder || extra.length > 0) throw usageError(`usage: ${USAGE}`);
      const paths = await filesOf(folder);
      if (paths.length === 0) throw usageError(`${folder} holds no .md or .txt files; nothing was changed`);
      const documents: FileDocument[] = [];
      for (const [index, path] of paths.entries()) {
        const doc = documentOf(folder, path, await readFile(path, 'utf8'));
        documents.push(doc);
        context.stderr.write(
          `  [${index + 1}/${paths.length}] ${doc.file}: "${doc.title}", ${doc.content.length} characters\n`,
        );
      }
      uniqueTitles(documents);
      return withWorkspace(context, async (runtime, ctx) => {
        const summary = await runtime.chatKnowledge
          .replace(
            ctx,
            { documents: documents.map(({ title, format, content }) => ({ title, format, content })) },
            cliActor(context),
          )
          .catch((error: unknown) => {
            // Name the file, not the index in the request body.
            if (!(error instanceof LeadloopError) || error.issues.length === 0) throw error;
            throw new LeadloopError(error.code, error.message, {
              cause: error,
              issues: error.issues.map((issue) => {
                const index = /^body\.documents\.(\d+)/.exec(issue.field)?.[1];
                const file = index === undefined ? undefined : documents[Number(index)]?.file;
                return file === undefined ? issue : { ...issue, field: `${file} (${issue.field})` };
              }),
            });
          });
        context.stdout.write(
          `${ctx.workspaceId}: ${count(summary.documents, 'document')}, ${count(summary.sections, 'section')}, ${summary.characters} characters loaded (revision ${summary.revision})\n`,
        );
        return 0;
      });
    },
  };
}
