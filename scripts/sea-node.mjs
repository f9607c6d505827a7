// The Node release inside gracie's single executables (scripts/build-sea.mjs), shared with the bench, which
// measures the executable beside the Node floor on that same release. Why Node 24: see build-sea.mjs.
export const SEA_NODE_VERSION = '24.22.3';
