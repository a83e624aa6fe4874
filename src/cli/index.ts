// cli: the strata command line.
export { buildProgram, main } from './main.js';
