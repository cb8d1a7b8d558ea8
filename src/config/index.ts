/** The `substrates` section of packetfs.config.json: check it, then build the adapters it describes. */
export { checkSubstrates } from './check-substrates.js';
export { buildSubstrates, type BuildOptions } from './build-substrates.js';
export { SUBSTRATE_TYPES, type SubstrateEntry } from '../schema/config-schema.js';
