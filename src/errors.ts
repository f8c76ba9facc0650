import { MESSAGE_CHARS, shown } from './external.js'

/**
 * A problem with what the user configured. The message names the input and the fix;
 * it is raised before any request is sent.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    detail: string
  ) {
    super(`Input '${input}': ${detail}`)
    this.name = 'InputError'
  }
}

/** A problem finding out what changed (git, GitHub API, event payload); the message is made fit to show. */
export class ChangeDetectionError extends Error {
  constructor(message: string) {
    super(shown(message, MESSAGE_CHARS))
    this.name = 'ChangeDetectionError'
  }
}
