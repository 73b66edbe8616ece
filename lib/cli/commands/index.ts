import { Command } from '../command';
import { baselineCommand } from './baseline';
import { configReportCommand } from './config-report';
import { ecrCommand } from './ecr';
import { envDiffCommand } from './env-diff';
import { iqCommand } from './iq';
import { replicaGuideCommand } from './replica-guide';
import { retireCommand } from './retire';
import { scrubCommand } from './scrub';
import { upgradePlanCommand } from './upgrade-plan';
import { validateCommand } from './validate';

/** Every command of `npx clinspark`, in the order `--help` lists them. */
export const commands: readonly Command[] = [
  validateCommand,
  scrubCommand,
  replicaGuideCommand,
  ecrCommand,
  baselineCommand,
  iqCommand,
  configReportCommand,
  envDiffCommand,
  upgradePlanCommand,
  retireCommand,
];
