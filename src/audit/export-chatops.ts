import { arr, str } from './export-fields.js';
import { emptyRow } from './export-row-kinds.js';
import type { ExportBreakGlass, ExportOptions, ExportRow } from './export-types.js';
import type { AuditDatabase, AuditKind, AuditRecord } from './types.js';

// ChatOps in the export: a row per command (refusals too), per lock that expired by itself, per
// overdue break-glass follow-up; and the break-glass of a promotion head on its deployment rows.

const BREAK_GLASS_KINDS: readonly AuditKind[] = ['break_glass.recorded', 'break_glass.approved', 'break_glass.overdue'];

/** The break-glasses of a repository by `<pr>@<head>`, with their approvals and overdue flags. */
export async function breakGlasses(store: AuditDatabase, repository: string): Promise<Map<string, ExportBreakGlass>> {
  const byId = new Map<string, { key: string; bg: ExportBreakGlass }>();
  let afterSeq = 0;
  for (;;) {
    const page = await store.scan(repository, { afterSeq, limit: 500, kinds: BREAK_GLASS_KINDS });
    for (const r of page) {
      const d = r.details;
      const id = str(d['breakGlassId']) ?? '';
      if (r.kind === 'break_glass.recorded') {
        byId.set(id, {
          key: `${r.pullRequest ?? ''}@${r.headSha ?? ''}`,
          bg: {
            by: str(d['by']) ?? r.actor ?? '',
            reason: str(d['reason']) ?? '',
            at: r.at,
            commentUrl: str(d['commentUrl']),
            waived: arr(d['waive'])
              .map(str)
              .filter((x): x is string => x !== null),
            issueUrl: str(d['issueUrl']),
            approvals: [],
            required: typeof d['approvalsRequired'] === 'number' ? d['approvalsRequired'] : 1,
            deadline: str(d['deadline']) ?? '',
            state: 'open',
          },
        });
        continue;
      }
      const known = byId.get(id);
      if (!known) continue;
      if (r.kind === 'break_glass.approved') {
        const login = str(d['login']);
        if (login && !known.bg.approvals.includes(login)) known.bg.approvals.push(login);
        if (known.bg.approvals.length >= known.bg.required) known.bg.state = 'approved';
      } else if (known.bg.state !== 'approved') known.bg.state = 'overdue';
    }
    const last = page[page.length - 1];
    if (!last || page.length < 500) break;
    afterSeq = last.seq;
  }
  return new Map([...byId.values()].map((v) => [v.key, v.bg]));
}

/** A row with no deployment: its identity, the ChatOps fields, every deployment field empty. */
function bare(r: AuditRecord, opts: ExportOptions, kind: ExportRow['kind'], fields: Pick<ExportRow, 'command' | 'breakGlass'>): ExportRow {
  return { ...emptyRow(r, opts, kind), ...fields };
}

/** The row of a ChatOps record (`command`, an expired `lock.released`, `break_glass.overdue`), or null for records that are no row of their own. */
export function chatopsRow(r: AuditRecord, opts: ExportOptions, bgs: Map<string, ExportBreakGlass>): ExportRow | null {
  const d = r.details;
  const bg = bgs.get(`${r.pullRequest ?? ''}@${r.headSha ?? ''}`) ?? null;
  if (r.kind === 'command') {
    const command = {
      name: str(d['command']) ?? '',
      text: str(d['text']) ?? '',
      by: r.actor,
      role: str(d['role']),
      outcome: str(d['outcome']) ?? '',
      result: str(d['result']) ?? '',
      commentUrl: str(d['commentUrl']),
    };
    const mine = bg && (str(d['breakGlassId']) !== null || command.name === 'break-glass') ? bg : null;
    return bare(r, opts, 'command', { command, breakGlass: mine });
  }
  if (r.kind === 'lock.released' && d['how'] === 'expired') {
    const reason = str(d['reason']);
    return bare(r, opts, 'lock-expired', {
      command: {
        name: 'lock',
        text: reason ?? '',
        by: str(d['holder']),
        role: null,
        outcome: 'expired',
        result: `lock by ${str(d['holder'])} taken ${str(d['lockedAt'])} expired`,
        commentUrl: str(d['commentUrl']),
      },
      breakGlass: null,
    });
  }
  if (r.kind === 'break_glass.overdue') return bare(r, opts, 'follow-up-overdue', { command: null, breakGlass: bg ?? null });
  return null;
}
