export type Align = 'left' | 'right';

export interface TableSpec {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Per column; the first defaults to left, the rest to right. */
  readonly align?: readonly Align[];
}

const alignOf = (spec: TableSpec, column: number): Align => spec.align?.[column] ?? (column === 0 ? 'left' : 'right');

/** A plain-text table for the terminal: columns padded to their widest cell. */
export const textTable = (spec: TableSpec): string[] => {
  const widths = spec.headers.map((header, column) => Math.max(header.length, ...spec.rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (alignOf(spec, column) === 'left' ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(spec.headers), widths.map((width) => '─'.repeat(width)).join('  '), ...spec.rows.map(line)];
};

const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|');

/** The same table as GitHub-flavoured Markdown. */
export const markdownTable = (spec: TableSpec): string[] => [
  `| ${spec.headers.map(escapeCell).join(' | ')} |`,
  `|${spec.headers.map((_, column) => (alignOf(spec, column) === 'left' ? ' :--- ' : ' ---: ')).join('|')}|`,
  ...spec.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
];

/** A number for a table cell: fixed digits, or a dash when there is nothing to show. */
export const fixed = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
