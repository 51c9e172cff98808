/**
 * Builds the local CLI into dist/ (git-ignored): `npm run build:cli`, which `npm ci` runs as
 * `prepare`, and `npm start` / `npm run factory` run first. `node scripts/build-cli.mjs --outdir DIR`
 * builds elsewhere (the tests do).
 *
 * Layout: dist/factory.js, the dispatcher (bin/factory.ts), and one bundle per command,
 * dist/commands/<name>.js, which the dispatcher requires only when that command runs. Why one
 * CommonJS bundle per command and not ESM code splitting (esbuild splits only ESM): the packages
 * stay in node_modules (below), and CommonJS loads them with a plain require() as tsx did, where ESM
 * output would import the CommonJS AWS SDK through Node's guess at its named exports; `plan` still
 * loads only its own bundle, so never the SDK. The price is core modules repeated across bundles,
 * on disk only.
 *
 * Packages are not bundled: the CLI runs inside this checkout (`local` reads cdk.json and starts the
 * trainer hosts with tsx), so node_modules is there anyway, and a build of our own sources alone
 * takes a fraction of a second, cheap enough to run before every `npm start`.
 *
 * Each output is written only when its bytes change, through a temporary file and a rename, so a
 * CLI started while another build runs (parallel tests) never reads a half-written bundle.
 */
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DISPATCHER = join(ROOT, 'bin', 'factory.ts');

const { values } = parseArgs({ options: { outdir: { type: 'string' } }, strict: true });
const outdir = resolve(values.outdir ?? join(ROOT, 'dist'));

const shared = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  // import('./commands/plan') becomes require(): CommonJS loads a CommonJS bundle without the ESM loader.
  supported: { 'dynamic-import': false },
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
  metafile: true,
  define: { __dirname: '__sourceDirname', __filename: '__sourceFilename' },
};

/**
 * Keeps each source module's own `__dirname` and `__filename`, as tsx gives them, whichever bundle
 * it lands in: bin/local/trainer-hosts.ts finds the repository root as `resolve(__dirname, '..',
 * '..')`. A module that names either gets `__sourceDirname` and `__sourceFilename` declared at its
 * top, relative to `__factoryRoot` (the output root, set by the banner), and `define` points its
 * uses at them; esbuild keeps each module's declarations apart.
 */
const sourceDirname = {
  name: 'source-dirname',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
      const dir = JSON.stringify(relative(outdir, dirname(args.path)));
      const file = JSON.stringify(relative(outdir, args.path));
      // One line, so the source map's lines stay the source's.
      const prologue =
        `import { join as __factoryJoin } from 'node:path'; ` +
        `const __sourceDirname = __factoryJoin(__factoryRoot, ${dir}); ` +
        `const __sourceFilename = __factoryJoin(__factoryRoot, ${file}); `;
      return { contents: prologue + text, loader: 'ts' };
    });
  },
};

/** Before esbuild's own "use strict", which a banner would otherwise demote to a plain string. */
const banner = (up) => ({
  js: `'use strict'; var __factoryRoot = require('node:path').join(__dirname, ${JSON.stringify(up)});`,
});

/** esbuild has printed the errors already (logLevel): its stack would add nothing. */
async function bundle(options) {
  try {
    return await build(options);
  } catch {
    process.exit(1);
  }
}

/**
 * The dispatcher; its lazy `import('./commands/<name>')` calls stay imports of the commands'
 * bundles, and name the bundles to build. Its static imports (command-line.ts) are bundled in.
 */
const commands = new Set();
const dispatcher = await bundle({
  ...shared,
  entryPoints: { factory: DISPATCHER },
  outdir,
  banner: banner('.'),
  plugins: [
    {
      name: 'commands-external',
      setup(b) {
        b.onResolve({ filter: /^\.\/commands\/[a-z-]+$/ }, (args) => {
          if (args.importer !== DISPATCHER || args.kind !== 'dynamic-import') return undefined;
          commands.add(args.path.slice('./commands/'.length));
          return { path: `${args.path}.js`, external: true };
        });
      },
    },
    sourceDirname,
  ],
});

const bundles = await bundle({
  ...shared,
  entryPoints: Object.fromEntries(
    [...commands].map((name) => [`commands/${name}`, join(ROOT, 'bin', 'commands', `${name}.ts`)]),
  ),
  outdir,
  banner: banner('..'),
  plugins: [sourceDirname],
});

const outputs = [...dispatcher.outputFiles, ...bundles.outputFiles];
const entry = join(outdir, 'factory.js');
let written = 0;
for (const output of outputs) {
  let bytes = output.contents;
  if (output.path === entry) {
    // The source's `npx tsx` hashbang runs the TypeScript; the bundle is plain JavaScript.
    bytes = Buffer.from(output.text.replace(/^#![^\n]*\n/, '#!/usr/bin/env node\n'));
  }
  let same = false;
  try {
    same = readFileSync(output.path).equals(bytes);
  } catch {
    // not built yet
  }
  if (!same) {
    mkdirSync(dirname(output.path), { recursive: true });
    const tmp = `${output.path}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, output.path);
    written++;
  }
  if (output.path === entry) chmodSync(entry, 0o755);
}

// Bundles of commands that no longer exist would otherwise linger.
const keep = new Set(outputs.map((o) => o.path));
for (const name of readdirSync(join(outdir, 'commands'))) {
  const path = join(outdir, 'commands', name);
  if (!keep.has(path) && /\.js(\.map)?$/.test(name)) rmSync(path, { force: true });
}

if (written > 0) {
  const where = relative(process.cwd(), outdir) || '.';
  process.stderr.write(`build-cli: ${written} of ${outputs.length} files updated in ${where}/\n`);
}
