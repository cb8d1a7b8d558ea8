#!/usr/bin/env node
import { runCli } from './program.js';

// `serve` keeps running after runCli returns (its server holds the event loop); client commands just end
process.exitCode = await runCli(process.argv);
