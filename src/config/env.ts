/** The few environment switches the CLI honours (config itself comes from load.ts). */
export const interactiveStderr = (): boolean => process.stderr.isTTY && !process.env['CI'] && !process.env['NO_PROGRESS'];

export const colourEnabled = (stream: NodeJS.WriteStream): boolean => stream.isTTY && process.env['NO_COLOR'] === undefined;

export const debugEnabled = (): boolean => Boolean(process.env['DOCROUTE_DEBUG']);

/** A secret the config names by variable (e.g. an LLM server's API key); never stored in config files. */
export const secretFromEnv = (name: string): string | undefined => process.env[name] || undefined;
