import type { Command } from 'commander';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { printJson, printLine } from '../output.js';
import { uploadFile } from '../upload-file.js';

export function registerBlob(program: Command): void {
  const blob = program.command('blob').description('the dispatcher\'s blob store');
  withClientOptions(blob.command('put'))
    .description('upload a file (progress bar on a terminal); prints its blob id')
    .argument('<file>', 'the file to upload')
    .option('--json', 'print {blob_id, size, crc32c}')
    .action(async (file: string, flags: ClientFlags & { json?: boolean }) => {
      const info = await uploadFile(file, clientFrom(flags), '<file>');
      if (flags.json) printJson(info);
      else printLine(info.blob_id);
    });
}
