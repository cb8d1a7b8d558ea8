import { PacketFSError } from '../errors.js';

/** A bad command line or config file: reported like any error, but exits 2 instead of 1. */
export class UsageError extends PacketFSError {
  constructor(message: string, path?: string) {
    super('INVALID_REQUEST', message, path === undefined ? {} : { path });
    this.name = 'UsageError';
  }
}
