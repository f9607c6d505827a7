#!/bin/sh
":" //; if [ -n "${NODE_OPTIONS+set}" ]; then export _GRACIE_NODE_OPTIONS="$NODE_OPTIONS"; unset NODE_OPTIONS; fi; exec node "$0" "$@"
// The lines above are shell and JavaScript at once. Run as a program (ENTRYPOINT ["gracie"], npx, npm i -g),
// /bin/sh parks NODE_OPTIONS before Node starts: it is set for the app (an agent to --require, --inspect,
// a heap size) and must not act on gracie's own Node; gracie hands it back to the child unchanged.
// Run as `node bin/gracie.js`, Node skips the first line and the second is a harmless string.
'use strict';
require('../dist/gracie.js');
