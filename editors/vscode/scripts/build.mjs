// Bundles the extension with esbuild into dist/extension.js and copies the error-log grammar
// from the repository's syntaxes/ into this package (it is packed inside the .vsix).
// Usage: node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const grammarSrc = path.resolve(here, '../../syntaxes/error-log.tmLanguage.json');
const grammarDst = path.join(here, 'syntaxes', 'error-log.tmLanguage.json');
fs.mkdirSync(path.dirname(grammarDst), { recursive: true });
fs.copyFileSync(grammarSrc, grammarDst);
console.log(`copied ${path.relative(here, grammarSrc)} -> ${path.relative(here, grammarDst)}`);

const options = {
  entryPoints: [path.join(here, 'src', 'extension.ts')],
  bundle: true,
  outfile: path.join(here, 'dist', 'extension.js'),
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
