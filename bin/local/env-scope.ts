/** Sets variables and remembers what was there, so the run leaves the process as it found it. */
export class EnvScope {
  private readonly saved = new Map<string, string | undefined>();
  set(vars: Record<string, string>): void {
    for (const [k, v] of Object.entries(vars)) {
      if (!this.saved.has(k)) this.saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  }
  snapshot(): void {
    // useMotoEnvironment writes and deletes a known set of variables.
    for (const k of [
      'AWS_ENDPOINT_URL',
      'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_PROFILE',
      'AWS_SESSION_TOKEN',
    ])
      if (!this.saved.has(k)) this.saved.set(k, process.env[k]);
  }
  restore(): void {
    for (const [k, v] of this.saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    this.saved.clear();
  }
}
