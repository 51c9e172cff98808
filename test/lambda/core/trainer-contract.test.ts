/** The trainer contract's task settings, both directions. */
import {
  parseTrainerConfig,
  toHyperparameters,
  toTrainerEnvironment,
  hyperparametersFromEnv,
  TrainerConfigError,
} from '../../../lambda/core/trainer-contract';

describe('trainer contract: task and positive class', () => {
  it('defaults to task auto with no positive class', () => {
    const config = parseTrainerConfig({});
    expect(config.train.task).toBe('auto');
    expect(config.train.positiveClass).toBeUndefined();
  });

  it('round-trips task and positive class through hyperparameters and the Batch environment', () => {
    const hp = toHyperparameters({ task: 'classification', positiveClass: 2, holdout: 0.1 });
    expect(hp).toEqual({ holdout: '0.1', task: 'classification', positive_class: '2' });
    const back = parseTrainerConfig(hyperparametersFromEnv(toTrainerEnvironment(hp)));
    expect(back.train).toMatchObject({ task: 'classification', positiveClass: 2, holdout: 0.1 });
  });

  it('refuses an unknown task naming the allowed ones', () => {
    expect(() => parseTrainerConfig({ task: 'clustering' })).toThrow(TrainerConfigError);
    expect(() => parseTrainerConfig({ task: 'clustering' })).toThrow(/auto, regression, classification/);
  });
});
