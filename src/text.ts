/** Wording shared by what the action prints. */

/** `1 file`, `2 files`; `count(n, 'directory', 'directories')` for an irregular plural. */
export const count = (n: number, word: string, plural = `${word}s`): string => `${n} ${n === 1 ? word : plural}`
