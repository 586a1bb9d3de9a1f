// `npm run build` (after tsc): bundles the web console (web/src) with esbuild into dist/console —
// hashed JS and CSS, index.html naming them, and gzip and brotli copies that the API serves as they are
// (@fastify/static preCompressed). Prints the compressed size, which must stay under 300 KB.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../lib/paths.js';

export const CONSOLE_BUDGET_BYTES = 300 * 1024;
const OUT = join(PROJECT_ROOT, 'dist', 'console');

export interface ConsoleBuild {
  files: { name: string; bytes: number; gzip: number; brotli: number }[];
  gzipTotal: number;
}

export async function buildConsole(): Promise<ConsoleBuild> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, 'web', 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    outdir: OUT,
    entryNames: 'app-[hash]',
    assetNames: 'asset-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((n) => n.endsWith('.js'));
  const css = outputs.find((n) => n.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild produced no ${js ? 'CSS' : 'JS'} bundle: ${outputs.join(', ')}`);
  const page = readFileSync(join(PROJECT_ROOT, 'web', 'index.html'), 'utf8').replace('%JS%', `/${js}`).replace('%CSS%', `/${css}`);
  writeFileSync(join(OUT, 'index.html'), page);
  const files = ['index.html', js, css].map((name) => {
    const body = readFileSync(join(OUT, name));
    const gzip = gzipSync(body, { level: 9 });
    const brotli = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    writeFileSync(join(OUT, `${name}.gz`), gzip);
    writeFileSync(join(OUT, `${name}.br`), brotli);
    return { name, bytes: body.length, gzip: gzip.length, brotli: brotli.length };
  });
  return { files, gzipTotal: files.reduce((a, f) => a + f.gzip, 0) };
}

if (process.argv[1] && basename(process.argv[1]).startsWith('build')) {
  const report = await buildConsole();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  if (!process.argv.includes('--quiet')) {
    for (const f of report.files) console.log(`console  ${f.name.padEnd(22)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzip).padStart(8)}  brotli ${kb(f.brotli).padStart(8)}`);
  }
  console.log(`console  dist/console: ${kb(report.gzipTotal)} gzip in all (budget ${kb(CONSOLE_BUDGET_BYTES)})`);
  if (report.gzipTotal > CONSOLE_BUDGET_BYTES) {
    console.error('console: the bundle is over its size budget');
    process.exit(1);
  }
}
