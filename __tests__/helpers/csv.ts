/** RFC 4180 parser for checking the export, independent of the writer: every record ends with CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

/** The fields of one CSV record (one `csvLine`, CRLF-terminated). */
export function parseCsvLine(line: string): string[] {
  const rows = parseCsv(line);
  if (rows.length !== 1) throw new Error(`expected one CSV record, got ${rows.length}`);
  return rows[0]!;
}
