// The names of the images global-setup.ts builds (kept apart: global-setup.ts runs outside any test, where
// modules that register vitest hooks cannot load).

/** The tag of the image of Dockerfile.example's `# example: <name>` stage. */
export const exampleImage = (name: string): string => `localhost/gracie-example:${name}`;
