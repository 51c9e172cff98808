/**
 * `node bench/launch.mjs NAME [ARGS...]` runs bench/NAME.ts under plain node, as the npm `bench*`
 * scripts do: esbuild bundles it (our sources in, packages left in node_modules) into
 * bench/data/launch/NAME.js, then node runs that bundle with ARGS. Why not tsx: a benchmark that
 * spawns its peers and itself through tsx pays tsx's start-up and transpilation in every process,
 * and that once landed in a peer's figures (DuckDB's). Bundling takes well under a second and is
 * never inside a timed region.
 *
 * Each source module keeps its own `__dirname` and `__filename` (the benchmarks find the
 * repository root as `resolve(__dirname, '..')`), as in scripts/build-cli.mjs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles `entry` for plain node into `outfile`. */
async function bundleForNode(entry, outfile) {
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'warning',
    define: { __dirname: '__sourceDirname', __filename: '__sourceFilename' },
    plugins: [
      {
        name: 'source-dirname',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            const text = readFileSync(args.path, 'utf8');
            if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
            // One line, so the source map's lines stay the source's.
            const prologue =
              `const __sourceDirname = ${JSON.stringify(dirname(args.path))}; ` +
              `const __sourceFilename = ${JSON.stringify(args.path)}; `;
            return { contents: prologue + text, loader: 'ts' };
          });
        },
      },
    ],
  });
  return outfile;
}

const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z][a-z-]*$/.test(name)) {
  console.error('usage: node bench/launch.mjs NAME [ARGS...]   (runs bench/NAME.ts)');
  process.exit(1);
}
const bundle = await bundleForNode(
  join(ROOT, 'bench', `${name}.ts`),
  join(ROOT, 'bench', 'data', 'launch', `${name}.js`),
);
const child = spawnSync(process.execPath, ['--enable-source-maps', bundle, ...args], { stdio: 'inherit' });
process.exitCode = child.status ?? 1;
