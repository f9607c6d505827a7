// Entry point of the single executable (scripts/build-sea.mjs): the inherited descriptors noted first, then the
// same start as the npm package's (bin.ts). NODE_OPTIONS needs nothing here: the executable is built with
// execArgvExtension "none", so Node ignores it and the child gets it untouched in the environment.
import './sea-start';
import './bin';
