/**
 * `npm run deploy:local`: the emulated deploy of the whole app on a fresh moto_server, printed.
 * Exits non-zero when a stack does not reach CREATE_COMPLETE or synth fails its checks.
 */
import { deployToMoto } from './deploy';

async function main(): Promise<number> {
  const report = await deployToMoto({
    log: (line) => console.log(line),
    keepAssembly: process.argv.includes('--keep'),
  });
  console.log('\nmoto workarounds applied:');
  for (const w of report.workarounds) console.log(`  ${w.name} (${w.stack}, ${w.count}×): ${w.gap}`);
  if (report.problems.length) {
    console.log('\nproblems:');
    for (const p of report.problems) console.log(`  ${p}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
