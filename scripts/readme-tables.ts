import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { problemTypeBase, problemTypes, type ProblemSlug } from '../lambdas/http/problem-types.js';
import { metricNamespace, metricServices } from '../lambdas/shared/metric-names.js';
import { formatDefault, settingNames, settings, settingsEnvironment, type SettingName } from '../lambdas/settings.js';
import { type RetrysafeTableSpec, tableEnvVar, tables } from '../lambdas/topology.js';
import { alarmCondition, alarmDeclarationsFor } from '../lib/alarm-declarations.js';
import { settingContextKeyOf, stackContextKeyOf, stackContextKeys, type StackContextName } from '../lib/config.js';
import { localHandlerSettings, localLibraryVariables, localVariables, readSettings } from '../local/settings.js';

/**
 * The README's tables of deployment settings, written from their declarations: the stack's
 * context keys (lib/config.ts), the handler settings (lambdas/settings.ts), the local stack's
 * variables (local/settings.ts), the alarms (lib/alarm-declarations.ts) and the metrics
 * (lambdas/shared/metric-names.ts). `npm run docs` rewrites each between its two marker comments;
 * test/docs/readme.test.ts fails when README.md lags behind.
 */

export const readmePath = resolve(fileURLToPath(import.meta.url), '../../README.md');

const code = (text: string): string => `\`${text}\``;

const row = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');

/** The local stack's values at its default ports. */
const localHandlerEnvironment = settingsEnvironment(localHandlerSettings(readSettings([], {})));

const readers = (name: SettingName): string => settings[name].readBy.map(code).join(', ');

const handlerDefault = (name: SettingName): string => {
  const fallback = settings[name].default;
  const local = localHandlerEnvironment[name];
  const ownDefault = formatDefault(name);
  const deployed =
    ownDefault !== undefined ? code(ownDefault) : 'sameAs' in fallback ? `value of ${code(fallback.sameAs)}` : 'set by the stack';
  return local === undefined ? deployed : `${deployed} (\`npm start\`: ${code(local)})`;
};

const deployment = (name: SettingName): string => {
  switch (settings[name].setBy) {
    case 'context':
      return `Deployed: context ${code(settingContextKeyOf(name))}`;
    case 'stack':
      return 'Deployed: set by the stack';
    case 'local':
      return 'Never set in a deployed stack';
  }
};

const contextKeysTable = (): string =>
  table(
    ['Context key', 'Default', 'Meaning'],
    [
      ...(Object.keys(stackContextKeys) as StackContextName[]).map((name) => [
        code(stackContextKeyOf(name)),
        stackContextKeys[name].default === '' ? 'empty' : code(String(stackContextKeys[name].default)),
        stackContextKeys[name].meaning,
      ]),
      ...settingNames
        .filter((name) => settings[name].setBy === 'context')
        .map((name) => [
          code(settingContextKeyOf(name)),
          `unset: ${handlerDefault(name)}`,
          `Sets ${code(name)} (below) for ${readers(name)}`,
        ]),
    ],
  );

const environmentTable = (): string =>
  table(
    ['Variable', 'Default', 'Meaning'],
    [
      ...Object.entries(localVariables).map(([name, variable]) => [code(name), code(variable.default), variable.meaning]),
      ...settingNames.map((name) => [
        code(name),
        handlerDefault(name),
        `${settings[name].meaning}. Read by ${readers(name)}. ${deployment(name)}`,
      ]),
      ...Object.entries(localLibraryVariables).map(([name, variable]) => [
        code(name),
        `\`npm start\`: ${code(variable.default)}`,
        variable.meaning,
      ]),
      [
        ['TABLE_<NAME>', 'QUEUE_URL_<NAME>', 'DLQ_URL_<NAME>'].map(code).join(', '),
        'set by the stack',
        `Physical table names and queue URLs, one per topology entry (e.g. ${code(tableEnvVar('idempotency'))})`,
      ],
    ],
  );

const alarmsTable = (): string =>
  table(
    ['Alarm', 'Watches', 'Fires when', 'Why this threshold'],
    alarmDeclarationsFor({}).map((alarm) => [code(alarm.id), alarm.watches, alarmCondition(alarm), alarm.reason]),
  );

const metricsTable = (): string =>
  table(
    ['Service (`service` dimension)', `Metrics (namespace ${code(metricNamespace)})`],
    Object.values(metricServices).map(({ service, metrics }) => [code(service), Object.values(metrics).map(code).join(', ')]),
  );

const problemTypesTable = (): string =>
  table(
    ['Type (`' + problemTypeBase + '…`)', 'Status', 'Retry?', 'When'],
    (Object.keys(problemTypes) as ProblemSlug[]).map((slug) => [
      code(slug),
      String(problemTypes[slug].status),
      problemTypes[slug].retryable ? 'yes, same key' : 'no',
      problemTypes[slug].when,
    ]),
  );

const replicationModes: Record<RetrysafeTableSpec['replication'], string> = {
  strong: 'MRSC global table',
  eventual: 'MREC global table',
  regional: 'one table per region',
};

const replicationTable = (): string =>
  table(
    ['Table', 'Across regions', 'Why'],
    (Object.entries(tables) as [string, RetrysafeTableSpec][]).map(([name, spec]) => [
      code(name),
      replicationModes[spec.replication],
      spec.replicationReason,
    ]),
  );

const generatedTables: Readonly<Record<string, () => string>> = {
  'problem-types': problemTypesTable,
  replication: replicationTable,
  'context-keys': contextKeysTable,
  'environment-variables': environmentTable,
  alarms: alarmsTable,
  metrics: metricsTable,
};

/**
 * The README with the block between `<!-- generated:<name> (<command>) -->` and
 * `<!-- /generated:<name> -->` replaced: the markers say which command writes it.
 */
export const replaceGenerated = (readme: string, name: string, command: string, content: string): string => {
  const begin = `<!-- generated:${name} (${command}) -->`;
  const end = `<!-- /generated:${name} -->`;
  const start = readme.indexOf(begin);
  const stop = readme.indexOf(end);
  if (start === -1 || stop < start) throw new Error(`README.md lacks the markers ${begin} ... ${end}`);
  return `${readme.slice(0, start + begin.length)}\n${content}\n${readme.slice(stop)}`;
};

/** README.md with every generated table rewritten from the declarations. */
export const renderReadme = (readme: string): string =>
  Object.entries(generatedTables).reduce((text, [name, render]) => replaceGenerated(text, name, 'npm run docs', render()), readme);
