import { preprocessBytes, PreprocessError } from '../../../../lambda/core/preprocess';
import { decodeSchema } from '../../../../lambda/core/dataset-schema';

const schema = decodeSchema(
  JSON.stringify({
    ids: ['Product ID'],
    category: 'Type',
    features: ['Torque [Nm]'],
    target: 'Machine failure',
  }),
);

async function refusal(csv: string): Promise<PreprocessError> {
  try {
    await preprocessBytes(new TextEncoder().encode(csv), schema);
  } catch (error) {
    if (error instanceof PreprocessError) return error;
    throw error;
  }
  throw new Error('expected a PreprocessError');
}

describe('header advice', () => {
  it('says a tab-separated file looks tab-separated instead of only listing every column as missing', async () => {
    const error = await refusal('Product ID\tType\tTorque [Nm]\tMachine failure\nM1\tM\t42.8\t0\n');
    expect(error.code).toBe('missing_column');
    expect(error.message).toMatch(
      /looks tab-separated \(3 tabs, 0 commas\): read it with --delimiter tab, config preprocess.delimiter "\\t"$/,
    );
  });

  it('says a semicolon-separated file looks semicolon-separated', async () => {
    const error = await refusal('Product ID;Type;Torque [Nm];Machine failure\nM1;M;42,8;0\n');
    expect(error.message).toMatch(/looks semicolon-separated/);
  });

  it('names the header columns that match only after trimming spaces or ignoring case', async () => {
    const error = await refusal('Product ID,type,Torque [Nm] ,Machine failure\nM1,M,42.8,0\n');
    expect(error.message).toBe(
      'missing_column: header lacks schema column(s): Type, Torque [Nm]; matching only after trimming spaces ' +
        'or ignoring case (names must match exactly; rename in the schema): schema "Type" ~ header "type", ' +
        'schema "Torque [Nm]" ~ header "Torque [Nm] "',
    );
  });

  it('lists plainly missing columns without advice', async () => {
    const error = await refusal('Product ID,Type,Machine failure\nM1,M,0\n');
    expect(error.message).toBe('missing_column: header lacks schema column(s): Torque [Nm]');
  });
});
