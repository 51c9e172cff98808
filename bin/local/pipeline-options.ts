import type { FactoryConfig } from '../../lib/config';
import type { Delimiter } from '../../lambda/core/cleaning/delimited-input';
import type { DatasetSchema } from '../../lambda/core/dataset-schema';
import type { LocalPipelineSummary } from './pipeline-summary';

export interface LocalPipelineOptions {
  /**
   * The user's own CSV files (`--input`), uploaded to raw in place of generated data; every step
   * then runs on them with `schema` (or the one inferred from the first file with `target`).
   * @default none: generated data
   */
  readonly inputs?: readonly string[];
  /** The dataset schema of `inputs`. @default inferred as `factory schema` does */
  readonly schema?: DatasetSchema;
  /** With `inputs` and no `schema`: the column to predict. @default the last numeric column */
  readonly target?: string;
  /** With `inputs` and no `schema`: the column to group by. @default the text column with the fewest values */
  readonly category?: string;
  /** The field delimiter of `inputs` (the preprocess handler's `preprocess.delimiter`). @default the config's */
  readonly delimiter?: Delimiter;
  /** Rows to generate over all files (duplicates included). @default 200000 */
  readonly rows?: number;
  /** Files the rows are split into (one raw object each). @default 4 */
  readonly files?: number;
  /** Generator seed: the same seed writes the same bytes. @default 42 */
  readonly seed?: number;
  /** Port of the local predict API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Append three malformed rows (ragged, text, inf) to one file to show quarantine. @default true */
  readonly badRows?: boolean;
  /** Overrides of the platform config's training settings, for the plan step. */
  readonly plan?: PlanOverrides;
  /** Most trainer host processes run at once on this machine. @default min(4, available cores) */
  readonly maxLocalHosts?: number;
  /** Working directory for data and /opt/ml trees. @default a fresh directory under the OS temp dir */
  readonly workDir?: string;
  /** Keep the generated CSVs and the hosts' channel copies (large) after the run. @default false */
  readonly keepData?: boolean;
  /**
   * Keep moto_server and the API up after the summary until `signal` aborts; `onReady` gets the
   * summary first. @default false
   */
  readonly keepRunning?: boolean;
  readonly onReady?: (summary: LocalPipelineSummary) => void;
  /** Aborting stops the run (or the keep-running wait) and cleans up. */
  readonly signal?: AbortSignal;
  /** One line per step (the CLI writes them to stderr). */
  readonly progress?: (line: string) => void;
  /** Handler logs (Powertools) at INFO instead of silent. @default false */
  readonly verbose?: boolean;
  /** The platform config; @default cdk.json's `factory` context over the defaults */
  readonly config?: FactoryConfig;
}

/** Overrides of the platform config's training settings, for the plan step. */
export interface PlanOverrides {
  readonly deadlineSeconds?: number;
  readonly maxInstances?: number;
  readonly startupSeconds?: number;
  readonly secondsPerUnit?: number;
  readonly serialSeconds?: number;
}
