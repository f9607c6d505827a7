#!/bin/sh
":" //; f=; for p in /proc/$$/fd/*; do n=${p##*/}; case $n in 0|1|2|*[!0-9]*) continue;; esac; [ -e "$p" ] && [ ! "$p" -ef "$0" ] && { read -r _ && read -r _ x; } </proc/$$/fdinfo/$n && case $x in *[2367]??????) ;; *) f="$f $n";; esac; done; export _GRACIE_FDS="$f"; if [ -n "${NODE_OPTIONS+set}" ]; then export _GRACIE_NODE_OPTIONS="$NODE_OPTIONS"; unset NODE_OPTIONS; fi; exec node --inspect-port=240.0.0.1:0 "$0" "$@"
// The lines above are shell and JavaScript at once. Run as a program (ENTRYPOINT ["gracie"], npx, npm i -g),
// /bin/sh does two things before Node starts, with builtins only:
// - it parks NODE_OPTIONS: set for the app (an agent to --require, --inspect, a heap size), it must not act on
//   gracie's own Node; gracie hands it back to the child unchanged;
// - it notes the descriptors above 2 gracie inherits open across exec (socket activation, a pipe to a sidecar):
//   Node marks 0-15 close-on-exec at start-up, and every descriptor above in an unbroken run from 16 (strace, Node
//   20, 24 and 26), so gracie passes them on to the child explicitly. Not the shell's own handle on this script: dash
//   leaves it open without close-on-exec when it lands at 10 or above (many descriptors inherited).
// Then Node runs with its inspector pointed at 240.0.0.1, an address no host has: a SIGUSR1 that arrives while
// Node boots, before gracie listens for it, would otherwise open a debugger on 127.0.0.1:9229 for the life of the
// container (17 of 20 starts under a SIGUSR1 flood did). Now the inspector fails to bind, says so on stderr, and
// gracie runs on. Node 22.14 has --disable-sigusr1 for this, but Node 20 stops on an option it does not know.
// Run as `node bin/gracie.js`, Node skips the first line and the second is a harmless string.
'use strict';
require('../dist/gracie.js');
