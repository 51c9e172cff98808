/**
 * `npm run deploy:local`: the emulated deploy of the whole app on a fresh moto_server, printed.
 * Exits non-zero when a stack does not reach CREATE_COMPLETE or synth fails its checks.
 */
import { deployToMoto, describeDeploy } from './deploy';

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const report = await deployToMoto({ log: (line) => console.log(line), keepAssembly: keep });
  console.log(`\n${describeDeploy(report)}`);
  if (keep) console.log(`\nassembly kept in ${report.assemblyDir}`);
  return report.problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
