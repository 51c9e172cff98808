/**
 * The hostile-file limits' defaults (config `preprocess.maxColumns` / `preprocess.maxCategories`,
 * the handler's MAX_COLUMNS / MAX_CATEGORIES): past them a file is refused with one short line.
 */
/** Header columns: the semiconductor data sets run to ~600 sensors; 30,000 exhausted V8's heap. */
export const DEFAULT_MAX_COLUMNS = 4096;
/**
 * Distinct categories: each costs its sums and moments in memory and in stats.json; 150,000 (a
 * serial number in the category column) took ~1.95 GB and wrote a 384 MB stats.json.
 */
export const DEFAULT_MAX_CATEGORIES = 10000;
