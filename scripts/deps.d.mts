// Types of scripts/deps.mjs (plain JavaScript: it runs before node_modules, and so tsx, exists).
/** What differs between dir/package-lock.json and dir/node_modules: [] when in sync. */
export function drift(dir: string): string[];
