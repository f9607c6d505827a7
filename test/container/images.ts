// The names of the images global-setup.ts builds (kept apart: global-setup.ts runs outside any test, where
// modules that register vitest hooks cannot load).
import { resolve } from 'node:path';

/** The tag of the image of Dockerfile.example's `# example: <name>` stage. */
export const exampleImage = (name: string): string => `localhost/gracie-example:${name}`;

/** Debian and nginx, no Node, no gracie (nginx-plain.Containerfile): for `podman run --init --init-path`. */
export const PLAIN_NGINX_IMAGE = 'localhost/gracie-test:nginx-plain';

/** gracie's single executable for this machine, built by global-setup.ts (`npm run build:sea -- <arch>`). */
export const HOST_SEA = resolve(__dirname, `../../dist/sea/gracie-linux-${process.arch}`);
