import { runAsProcess } from '../cli/io.js';
import { main } from './main.js';

runAsProcess(main);
