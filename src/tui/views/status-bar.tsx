import { Text } from 'ink';
import type { UiState } from '../controller.js';
import { fit } from '../text.js';
import { confirmPrompt } from '../widgets/confirm.js';
import { unbanPrompt } from '../widgets/unban-dialog.js';

const FOOTERS = {
  normal: 'jk move Tab pane ⏎ detail / filter P perm u unban w white b ban :cmd ␣ pause ? q',
  readonly: '(read-only) jk move Tab pane ⏎ detail / filter s sort ␣ pause ? help q quit',
  input: 'type, Enter to apply, Esc to cancel',
  confirm: 'y to confirm, any other key cancels',
  confirmType: 'type the target exactly, Enter to confirm, Esc to cancel',
  unban: 'j: this jail only   e: everywhere   Esc: cancel',
  detail: 'jk/PgUp/PgDn scroll  P permaban  u unban  w whitelist  Esc back  q quit',
  help: 'Esc or ? to close',
};

/** The prompt of the current mode, or else the engine error or the last action's result. */
export function statusText(ui: UiState, error: string): string {
  const m = ui.mode;
  switch (m.kind) {
    case 'input': return `${m.purpose === 'filter' ? '/' : m.purpose === 'command' ? ':' : 'ban IP [DURATION]: '}${m.text}█`;
    case 'confirm': return confirmPrompt(m);
    case 'unban': return unbanPrompt(m);
    default: return error || ui.message;
  }
}

/** The keys that work in the current mode. */
export function footerText(ui: UiState, readonly: boolean): string {
  const m = ui.mode;
  if (m.kind === 'confirm') return m.mustType !== undefined ? FOOTERS.confirmType : FOOTERS.confirm;
  if (m.kind === 'normal') return readonly ? FOOTERS.readonly : FOOTERS.normal;
  return FOOTERS[m.kind];
}

export function StatusBar({ ui, error, readonly, width }: { ui: UiState; error: string; readonly: boolean; width: number }) {
  return (
    <>
      <Text bold={ui.mode.kind !== 'normal'}>{fit(statusText(ui, error), width)}</Text>
      <Text dimColor>{fit(footerText(ui, readonly), width)}</Text>
    </>
  );
}
