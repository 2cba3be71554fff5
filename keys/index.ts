import { processIo, runAsProcess } from '../cli/io.js';
import { main } from './main.js';

/** `npm run keys`: an account's API keys, created, listed, revoked and rotated (see keys/main.ts). */
runAsProcess((argv) => main(argv, processIo));
