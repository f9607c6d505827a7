// Error types that carry gracie's exit code, so main chooses the exit path in one place.

/** An error whose exit code is part of gracie's contract. */
export class GracieError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flag, value or environment variable: exit 2, the child never starts. */
export class UsageError extends GracieError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The command could not be started: 127 not found, 126 not executable. */
export class SpawnError extends GracieError {}
