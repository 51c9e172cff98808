/** What `runLocalPipeline` returns and writes to summary.json (summary-format.ts prints it). */
import type { DatasetSchema } from '../../lambda/core/dataset-schema';
import type { ModelMetrics } from '../../lambda/core/model-artifact';
import type { RowPrediction } from '../../lambda/core/scoring';
import type { ObjectOutcome } from '../../lambda/handlers/preprocess';
import type { PlanOutput } from '../../lambda/handlers/plan';
import type { RawPath } from './steps/upload-raw';

export interface FileOutcome {
  readonly key: string;
  readonly versionId?: string;
  readonly status: ObjectOutcome['status'];
  readonly reason?: string;
  readonly rowsIn: number;
  readonly rowsClean: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly outputs: ObjectOutcome['outputs'];
  /** Every key curated holds for the object's input key after its run (its outputs' folders). */
  readonly curatedKeys: readonly string[];
  /** How the object reached raw: delivered by the Firehose stream, or uploaded as a file. */
  readonly via?: RawPath;
}

/** One quarantined row as the quarantine output holds it. */
export interface QuarantinedRow {
  /** The raw object it came from. */
  readonly key: string;
  /** Its (first) line in that object. */
  readonly line: number;
  readonly reason: string;
  /** Its text as it was: the JSON record, or the CSV row. */
  readonly raw: string;
}

/** Named queries run on DuckDB over Athena's copy in curated (steps/query-copy.ts). */
export interface QueryCopySummary {
  /** The directories the copies were fetched into (`factory query --data DIR --athena-copy`). */
  readonly dirs: readonly string[];
  /** The dataset schema they are read with (`factory query --schema`). */
  readonly schemaPath: string;
  readonly results: readonly {
    readonly name: string;
    readonly columns: readonly string[];
    readonly rows: readonly (readonly unknown[])[];
  }[];
}

export interface CleaningTotals {
  readonly rowsIn: number;
  readonly rowsClean: number;
  readonly duplicates: number;
  readonly quarantined: number;
}

export interface WeightRow {
  readonly name: string;
  readonly truth: number;
  readonly fitted: number;
  readonly standardError: number | null;
  /** |fitted − truth| / standard error. */
  readonly absZ: number | null;
}

export interface SamplePrediction {
  readonly label: string;
  readonly row: Readonly<Record<string, string | number | null>>;
  readonly result: RowPrediction;
}

export interface LocalBuckets {
  readonly raw: string;
  readonly curated: string;
  readonly models: string;
  readonly accessLogs: string;
}

/** What the sample requests to the predict API got back. */
export interface PredictAnswers {
  readonly status: number;
  readonly modelVersion: string;
  readonly samples: readonly SamplePrediction[];
  readonly injected: {
    readonly feature: string;
    readonly value: number;
    readonly profileMean: number;
    readonly profileStd: number;
  };
  /** GET /model answered 200 with this version. */
  readonly cardVersion: string;
  /** Keys of the sample rows that are not model inputs, as the API listed them (a real row's ids, target, ...). */
  readonly ignoredFields?: readonly string[];
}

export interface S3Output {
  readonly what: string;
  readonly uri: string;
}

export interface LocalPipelineSummary {
  readonly seconds: number;
  readonly steps: readonly { readonly step: string; readonly seconds: number }[];
  readonly moto: { readonly endpoint: string; readonly pid: number };
  readonly buckets: LocalBuckets;
  readonly data: {
    /** 'generated': the synthetic data; 'input': the user's files (`--input`). */
    readonly source: 'generated' | 'input';
    /** The user's files, as given (source 'input'). */
    readonly inputs?: readonly string[];
    /** The dataset schema every step used. */
    readonly schema: DatasetSchema;
    /** Rows: written by the generator, or counted by preprocess in the user's files. */
    readonly rows: number;
    readonly files: number;
    /** Generator seed (source 'generated'). */
    readonly seed?: number;
    readonly bytes: number;
    /** Malformed rows appended on purpose (counted in rows). */
    readonly badRows: number;
    /** Duplicates the generator wrote (what de-duplication should find; source 'generated'). */
    readonly generatedDuplicates?: number;
    readonly rawKeys: readonly {
      readonly key: string;
      readonly versionId?: string;
      readonly bytes: number;
      readonly via: RawPath;
      /** JSON Lines records in the object (via 'firehose'). */
      readonly records?: number;
    }[];
    /**
     * How the data arrived: 'firehose' (the generated rows, as JSON Lines records through the
     * ingest delivery stream on moto), or 'upload' (the user's files).
     */
    readonly arrival:
      | {
          readonly path: 'firehose';
          readonly streamName: string;
          readonly records: number;
          readonly putRecordBatchCalls: number;
          readonly objects: number;
        }
      | { readonly path: 'upload'; readonly objects: number };
  };
  readonly preprocess: {
    readonly files: readonly FileOutcome[];
    readonly totals: CleaningTotals;
    readonly quarantineByReason: Readonly<Record<string, number>>;
    /** The first quarantined rows (up to 10), each with its object, line and reason. */
    readonly quarantinedRows: readonly QuarantinedRow[];
    /** rowsIn = clean + duplicates + quarantined, summed over files, and equal to the rows written. */
    readonly reconciled: boolean;
    /** The local stand-in for Athena over the copy (absent with `query.enabled: false`). */
    readonly query?: QueryCopySummary;
  };
  readonly plan: PlanOutput;
  readonly training: {
    readonly hosts: number;
    /** The plan's p when more than this machine runs at once (or than there are objects). */
    readonly plannedP: number;
    readonly hostObjects: readonly {
      readonly host: string;
      readonly objects: number;
      readonly bytes: number;
    }[];
    readonly candidate: string;
    readonly seconds: number;
  };
  /** What the run cost at list prices: planned, measured here, and serving. */
  readonly cost: {
    /** USD per instance-hour of the planned type (instance-types.json), or null when unknown. */
    readonly pricePerHour: number | null;
    readonly plannedUsd: number | null;
    /** The trainer hosts of this run × their seconds here × pricePerHour. */
    readonly measuredUsd: number | null;
    readonly predictionsPerUsd: number;
  };
  readonly model: {
    readonly version: string;
    readonly key: string;
    readonly rows: number;
    readonly metrics: ModelMetrics;
    readonly category: string;
    readonly features: readonly string[];
    readonly weights: readonly number[];
    readonly bias: number;
    readonly standardErrors?: readonly number[];
  };
  readonly evaluation: { readonly better: boolean; readonly reason: string };
  readonly promotion: { readonly promoted: boolean; readonly key: string; readonly reason: string };
  /** The candidate's package in the Model Registry (moto's SageMaker) and its approval status. */
  readonly registry: { readonly group: string; readonly packageArn: string; readonly status: string };
  /** The fit against the generator's true weights (source 'generated'; the user's data has no truth). */
  readonly truth?: {
    readonly weights: readonly WeightRow[];
    readonly bias: WeightRow;
    readonly noiseStd: number;
  };
  readonly predict: PredictAnswers & { readonly url: string; readonly anomalyZ: number };
  readonly outputs: {
    readonly workDir: string;
    readonly summaryPath: string;
    /** The generator's true weights (source 'generated'). */
    readonly truthPath?: string;
    readonly modelPath: string;
    /** The model report (report.html) the trainer wrote beside the candidate. */
    readonly reportPath: string;
    readonly hostsDir: string;
    readonly s3: readonly S3Output[];
  };
}
