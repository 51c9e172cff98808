/**
 * Runs a command's `run` in-process and captures what it printed: its exit code, then
 * console.log and console.error, one line per call, each joined by `\n`. The spies are restored
 * however the command ends.
 */
export async function captureOutput(
  f: () => Promise<number>,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    return { code: await f(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
